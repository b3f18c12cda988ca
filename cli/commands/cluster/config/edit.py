"""`rpk cluster config edit`: export to a temporary file, open $EDITOR, import the result."""

from __future__ import annotations

import os
import shlex
import subprocess

import typer

from cli._app import add_command
from cli.clients.admin import from_profile
from cli.commands.cluster.config._all import AllOpt, include_all
from cli.commands.cluster.config.export import export_to
from cli.commands.cluster.config.import_ import import_from
from cli.errors import CliError, UsageError
from cli.options import with_globals


@with_globals
def config_edit(all_: AllOpt = False) -> None:
    """Edit cluster configuration properties in $EDITOR."""
    all_ = include_all(all_)
    editor = os.environ.get("EDITOR", "").strip()
    if not editor:
        raise UsageError("please set $EDITOR to use this command")
    client = from_profile()
    path = export_to(client, None, all_)
    try:
        if subprocess.run([*shlex.split(editor), str(path)], check=False).returncode != 0:
            raise CliError(f"editor {editor!r} failed; no changes were made")
        import_from(client, path, all_)
    finally:
        path.unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    add_command(app, config_edit, "edit")
