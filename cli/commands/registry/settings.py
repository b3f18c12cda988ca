"""`rpk registry compatibility-level` and `rpk registry mode`: per subject, or {GLOBAL}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Optional

import typer

from cli._app import add_command, new_group
from cli.clients.registry import RegistryError
from cli.commands.registry import _common as c
from cli.errors import PartialFailure, UsageError
from cli.options import FormatOpt, with_globals
from cli.output import check_format, print_structured, print_table

GLOBAL = "{GLOBAL}"
LEVELS = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
)
MODES = ("READONLY", "READWRITE")
SubjectsArg = Annotated[Optional[list[str]], typer.Argument()]


def _targets(subjects: list[str] | None, global_: bool) -> list[str | None]:
    targets: list[str | None] = list(subjects or [])
    if not targets or global_:
        targets.append(None)
    return targets


def _run(targets, call: Callable[[str | None], str], field: str, fmt: str) -> None:
    rows = []
    for subject in targets:
        row = {"subject": GLOBAL if subject is None else subject}
        try:
            row[field] = call(subject)
        except RegistryError as exc:
            row["error"] = str(exc)
        rows.append(row)
    fmt = check_format(fmt)
    if fmt != "text":
        print_structured(rows, fmt)
    else:
        empty = "-" if field == "mode" else ""
        print_table(
            ["subject", field, "error"],
            [[r["subject"], r.get(field, empty), r.get("error", "")] for r in rows],
        )
    if any("error" in r for r in rows):
        raise PartialFailure()


@with_globals
def level_get(
    subjects: SubjectsArg = None,
    global_: Annotated[
        bool, typer.Option("--global", help="Return the global level in addition to subject levels")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Get the global or per-subject compatibility levels."""
    _run(_targets(subjects, global_), c.client().compatibility, "level", fmt)


@with_globals
def level_set(
    subjects: SubjectsArg = None,
    level: Annotated[
        str,
        typer.Option(
            "--level", help="Level to set, see the 'help' text of this command for the full list"
        ),
    ] = "",
    global_: Annotated[
        bool, typer.Option("--global", help="Set the global level in addition to subject levels")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Set the global or per-subject compatibility levels.

    Levels: BACKWARD (default), BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL,
    FULL_TRANSITIVE, NONE.
    """
    wanted = level.strip().upper()
    if wanted not in LEVELS:
        raise UsageError(f'unknown compatibility level "{level}"')
    cl = c.client()
    _run(_targets(subjects, global_), lambda s: cl.set_compatibility(s, wanted), "level", fmt)


@with_globals
def mode_get(
    subjects: SubjectsArg = None,
    global_: Annotated[
        bool, typer.Option("--global", help="Return the global mode in addition to subject modes")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Check the mode of subjects, or the global mode."""
    _run(_targets(subjects, global_), c.client().mode, "mode", fmt)


@with_globals
def mode_set(
    subjects: SubjectsArg = None,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="Schema registry mode to set. Supported values: READONLY, READWRITE (case insensitive)",
        ),
    ] = "",
    global_: Annotated[
        bool,
        typer.Option(
            "--global", help="Set the global schema registry mode in addition to subject modes"
        ),
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Set the mode of subjects, or the global mode."""
    wanted = mode.strip().upper()
    if wanted not in MODES:
        raise UsageError(f'invalid mode "{mode}"; supported modes: {", ".join(MODES)}')
    cl = c.client()
    _run(_targets(subjects, global_), lambda s: cl.set_mode(s, wanted), "mode", fmt)


@with_globals
def mode_reset(subjects: SubjectsArg = None, fmt: FormatOpt = "text") -> None:
    """Reset the mode of subjects to the global mode."""
    if not subjects:
        raise UsageError("at least one subject is required")
    _run(list(subjects), c.client().reset_mode, "mode", fmt)


def register(root: typer.Typer) -> None:
    level = new_group("compatibility-level", "Manage global or per-subject compatibility levels.")
    add_command(level, level_get, "get")
    add_command(level, level_set, "set")
    root.add_typer(level, name="compatibility-level")
    mode = new_group("mode", "Manage schema registry mode.")
    add_command(mode, mode_get, "get")
    add_command(mode, mode_set, "set")
    add_command(mode, mode_reset, "reset")
    root.add_typer(mode, name="mode")
