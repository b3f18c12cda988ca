"""`rpk profile use`, `current`, `clear` and `rename-to`: which profile is selected."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._app import add_command
from cli.commands.profile import _store
from cli.errors import UsageError
from cli.options import with_globals


@with_globals
def profile_use(name: Annotated[str, typer.Argument(help="Profile to switch to.")]) -> None:
    """Select the rpk profile to use."""
    rpk = _store.load()
    rpk.require_profile(name)
    rpk.current_profile = name
    rpk.save()
    typer.echo(f'Set current profile to "{name}".')


@with_globals
def profile_current(
    no_newline: Annotated[
        bool,
        typer.Option("-n", "--no-newline", help="Do not print a newline after the profile name."),
    ] = False,
) -> None:
    """Print the current profile name."""
    typer.echo(_store.load().current_profile, nl=not no_newline)


@with_globals
def profile_clear() -> None:
    """Clear the current profile."""
    rpk = _store.load()
    rpk.current_profile = ""
    rpk.save()


@with_globals
def profile_rename(
    to: Annotated[str, typer.Argument(help="New name of the current profile.")],
) -> None:
    """Rename the current profile."""
    rpk = _store.load()
    old = _store.name_or_current(rpk, None)
    if rpk.profile(to) is not None:
        raise UsageError(f'profile "{to}" already exists')
    rpk.require_profile(old)["name"] = to
    rpk.current_profile = to
    rpk.save()
    typer.echo(f'Renamed profile "{old}" to "{to}".')


def register(app: typer.Typer) -> None:
    app.command("use")(profile_use)
    app.command("current")(profile_current)
    app.command("clear")(profile_clear)
    add_command(app, profile_rename, "rename-to", aliases=("rename",))
