"""`rpk cluster config export`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli._app import add_command
from cli.clients.admin import AdminClient, from_profile
from cli.clients.admin.config import config_schema, get_config
from cli.commands.cluster.config._all import AllOpt, include_all
from cli.commands.cluster.config._values import render_export
from cli.options import with_globals


def export_to(client: AdminClient, path: Path | None, include_tunables: bool) -> Path:
    text = render_export(get_config(client), config_schema(client), include_tunables)
    if path is None:
        fd, name = tempfile.mkstemp(prefix="config_", suffix=".yaml")
        os.close(fd)
        path = Path(name)
    path.write_text(text)
    return path


@with_globals
def config_export(
    filename: Annotated[
        Optional[Path],
        typer.Option("-f", "--filename", help="File to write (default: a temporary file)."),
    ] = None,
    all_: AllOpt = False,
) -> None:
    """Export cluster configuration to a YAML file."""
    path = export_to(from_profile(), filename, include_all(all_))
    typer.echo(f'Wrote configuration to file "{path}".')


def register(app: typer.Typer) -> None:
    add_command(app, config_export, "export")
