"""`rpk cluster config get`."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._app import add_command
from cli.clients.admin import AdminApiError, from_profile
from cli.clients.admin.config import get_config
from cli.commands.cluster.config._all import AllOpt
from cli.commands.cluster.config._values import format_value
from cli.errors import NotFound
from cli.options import with_globals


@with_globals
def config_get(key: Annotated[str, typer.Argument(metavar="KEY")], all_: AllOpt = False) -> None:
    """Print a cluster configuration property's value."""
    try:
        values = get_config(from_profile(), key=key)
    except AdminApiError as exc:
        if exc.status == 404:
            raise NotFound(f"Property '{key}' not found") from None
        raise
    typer.echo(format_value(next(iter(values.values()))))


def register(app: typer.Typer) -> None:
    add_command(app, config_get, "get")
