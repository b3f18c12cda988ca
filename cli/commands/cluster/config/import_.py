"""`rpk cluster config import -f FILE`: make the cluster's configuration match a YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from cli._app import add_command
from cli.clients.admin import AdminApiError, AdminClient, from_profile
from cli.clients.admin.config import config_schema, get_config, patch_config
from cli.commands.cluster.config._all import AllOpt, include_all
from cli.commands.cluster.config._values import (
    explain_rejection,
    format_value,
    in_scope,
    version_message,
)
from cli.errors import UsageError
from cli.options import with_globals
from cli.output import print_table


def read_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"unable to read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} must hold a mapping of property names to values")
    return {str(k): v for k, v in data.items()}


def plan(
    wanted: dict[str, Any],
    current: dict[str, Any],
    explicit: set[str],
    schema: dict[str, dict[str, Any]],
    include_tunables: bool,
) -> tuple[dict[str, Any], list[str]]:
    """(upsert, remove): changed values are upserted; in-scope properties dropped from the file
    and set explicitly on the cluster go back to their defaults."""
    upsert = {k: v for k, v in wanted.items() if k not in current or current[k] != v}
    remove = sorted(
        k
        for k in explicit
        if k not in wanted and k in schema and in_scope(schema[k], include_tunables)
    )
    return upsert, remove


def import_from(client: AdminClient, path: Path, include_tunables: bool) -> None:
    schema = config_schema(client)
    current = get_config(client)
    upsert, remove = plan(
        read_file(path),
        current,
        set(get_config(client, include_defaults=False)),
        schema,
        include_tunables,
    )
    if not upsert and not remove:
        typer.echo("No changes were made.")
        return
    try:
        version = patch_config(client, upsert, remove)
    except AdminApiError as exc:
        raise explain_rejection(exc) from None
    rows = [[k, format_value(current.get(k)), format_value(v)] for k, v in sorted(upsert.items())]
    rows += [
        [k, format_value(current.get(k)), format_value(schema[k].get("default"))] for k in remove
    ]
    print_table(["property", "prior", "new"], rows)
    typer.echo(version_message(version))


@with_globals
def config_import(
    filename: Annotated[Path, typer.Option("-f", "--filename", help="YAML file to import.")],
    all_: AllOpt = False,
) -> None:
    """Import cluster configuration from a YAML file (as written by export)."""
    import_from(from_profile(), filename, include_all(all_))


def register(app: typer.Typer) -> None:
    add_command(app, config_import, "import")
