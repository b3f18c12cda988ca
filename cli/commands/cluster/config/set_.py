"""`rpk cluster config set KEY VALUE` (or KEY=VALUE); an empty value resets the default."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli._app import add_command
from cli.clients.admin import AdminApiError, from_profile
from cli.clients.admin.config import config_schema, patch_config
from cli.commands.cluster.config._all import AllOpt
from cli.commands.cluster.config._values import explain_rejection, parse_value, version_message
from cli.errors import CliError, UsageError
from cli.options import with_globals

RESTART_NOTE = "Cluster needs to be restarted. See more details with 'rpk cluster config status'."


def split_args(key: str, value: str | None) -> tuple[str, str]:
    if value is not None:
        return key, value
    if "=" not in key:
        raise UsageError("need a value: rpk cluster config set KEY VALUE, or KEY=VALUE")
    name, _, text = key.partition("=")
    return name, text


@with_globals
def config_set(
    key: Annotated[str, typer.Argument(metavar="KEY")],
    value: Annotated[Optional[str], typer.Argument(metavar="VALUE")] = None,
    all_: AllOpt = False,  # rpk's persistent --all: accepted, unused
) -> None:
    """Set a single cluster configuration property."""
    name, text = split_args(key, value)
    client = from_profile()
    schema = config_schema(client)
    entry = schema.get(name)
    if entry is None:  # rpk also looks the key up among the properties' aliases
        alias_of = next((k for k, e in schema.items() if name in (e.get("aliases") or [])), None)
        if alias_of is None:
            raise CliError(f'Unknown property "{name}"')
        entry = schema[alias_of]
    upsert, remove = ({}, [name]) if text == "" else ({name: parse_value(text, entry)}, [])
    try:
        version = patch_config(client, upsert, remove)
    except AdminApiError as exc:
        raise explain_rejection(exc) from None
    typer.echo(version_message(version))
    if entry is not None and entry.get("needs_restart"):
        typer.echo(RESTART_NOTE)


def register(app: typer.Typer) -> None:
    add_command(app, config_set, "set")
