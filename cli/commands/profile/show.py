"""`rpk profile print`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli.commands.profile import _store
from cli.options import with_globals
from cli.yaml_v3 import dump, profile_doc


@with_globals
def profile_print(
    name: Annotated[
        Optional[str], typer.Argument(help="Profile to print (default: current).")
    ] = None,
) -> None:
    """Print an rpk profile as YAML."""
    rpk = _store.load()
    profile = rpk.require_profile(_store.name_or_current(rpk, name))
    typer.echo(dump(profile_doc(profile)))  # rpk: fmt.Println of yaml.v3 output


def register(app: typer.Typer) -> None:
    app.command("print")(profile_print)
