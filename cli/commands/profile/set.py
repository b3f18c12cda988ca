"""`rpk profile set`."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.commands.profile import _store
from cli.config.rpk_yaml import DEFAULT_PROFILE, default_profile
from cli.options import with_globals


@with_globals
def profile_set(
    pairs: Annotated[
        list[str],
        typer.Argument(help="key=value pairs (-X keys or YAML paths).", metavar="KEY=VALUE..."),
    ],
) -> None:
    """Set fields in the current rpk profile (creating the default profile if none exists)."""
    rpk = _store.load()
    if not rpk.current_profile or rpk.profile(rpk.current_profile) is None:
        if rpk.profile(DEFAULT_PROFILE) is None:
            rpk.profiles.append(default_profile())
        rpk.current_profile = DEFAULT_PROFILE
    profile = rpk.require_profile(rpk.current_profile)
    for item in pairs:
        _store.set_key(profile, rpk.globals, item)
    rpk.save()
    typer.echo(f'Profile "{rpk.current_profile}" updated successfully.')


def register(app: typer.Typer) -> None:
    app.command("set")(profile_set)
