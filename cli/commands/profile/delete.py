"""`rpk profile delete`."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.commands.profile import _store
from cli.options import with_globals


@with_globals
def profile_delete(name: Annotated[str, typer.Argument(help="Profile to delete.")]) -> None:
    """Delete an rpk profile."""
    rpk = _store.load()
    was_current = rpk.current_profile == name
    rpk.remove_profile(name)
    rpk.save()
    typer.echo(f'Deleted profile "{name}".')
    if was_current:
        typer.echo(
            "This was the selected profile; rpk will use defaults until a new profile is selected."
        )


def register(app: typer.Typer) -> None:
    app.command("delete")(profile_delete)
