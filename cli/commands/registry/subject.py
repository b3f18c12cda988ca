"""`rpk registry subject`: list and delete subjects."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli._app import add_command, new_group
from cli.clients.registry import RegistryError
from cli.commands.registry import _common as c
from cli.errors import PartialFailure
from cli.options import FormatOpt, with_globals
from cli.output import check_format, print_structured, print_table


@with_globals
def list_(
    deleted: Annotated[
        bool, typer.Option("--deleted", help="If true, list deleted subjects as well")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Display all subjects."""
    subjects = sorted(c.client().subjects(deleted))
    fmt = check_format(fmt)
    if fmt != "text":
        print_structured(subjects, fmt)
        return
    for subject in subjects:
        print(subject)


@with_globals
def delete(
    subjects: Annotated[Optional[list[str]], typer.Argument()] = None,
    permanent: Annotated[
        bool, typer.Option("--permanent", help="Perform a hard (permanent) delete of the subject")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Soft or hard delete subjects."""
    cl = c.client()
    rows = []
    for subject in subjects or []:
        row: dict = {"subject": subject}
        try:
            row["versions_deleted"] = _delete(cl, subject, permanent)
        except RegistryError as exc:
            row["error"] = str(exc)
        rows.append(row)
    fmt = check_format(fmt)
    if fmt != "text":
        print_structured(rows, fmt)
    else:
        print_table(
            ["subject", "versions-deleted", "error"],
            [
                [r["subject"], _versions(r.get("versions_deleted")), r.get("error", "")]
                for r in rows
            ],
        )
    if any("error" in r for r in rows):
        raise PartialFailure()


def _delete(cl, subject: str, permanent: bool) -> list[int]:
    if not permanent:
        return cl.delete_subject(subject, False)
    try:
        cl.delete_subject(subject, False)
    except RegistryError as exc:
        if exc.error_code != 40404:  # already soft-deleted
            raise RegistryError(
                exc.status,
                exc.error_code,
                f"unable to perform initial soft-deletion that is required for hard-deletion: {exc.message}",
            ) from None
    return cl.delete_subject(subject, True)


def _versions(versions) -> str:
    return "" if versions is None else "[" + " ".join(str(v) for v in versions) + "]"


def register(root: typer.Typer) -> None:
    app = new_group("subject", "List or delete schema registry subjects.")
    add_command(app, list_, "list", aliases=("ls",))
    add_command(app, delete, "delete")
    root.add_typer(app, name="subject")
