"""`rpk profile list`."""

from __future__ import annotations

import typer

from cli._app import add_command
from cli.commands.profile import _store
from cli.options import with_globals
from cli.output import print_table


def list_rows(profiles: list[dict], current: str) -> list[list[str]]:
    rows = []
    for prof in sorted(profiles, key=lambda p: str(p.get("name", ""))):
        name = str(prof.get("name", ""))
        rows.append([name + ("*" if name == current else ""), str(prof.get("description") or "")])
    return rows


@with_globals
def profile_list() -> None:
    """List rpk profiles."""
    rpk = _store.load()
    print_table(["name", "description"], list_rows(rpk.profiles, rpk.current_profile))


def register(app: typer.Typer) -> None:
    add_command(app, profile_list, "list", aliases=("ls",))
