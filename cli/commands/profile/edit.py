"""`rpk profile edit`: open a profile in $EDITOR and save it back."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer
import yaml

from cli.commands.profile import _store
from cli.config.files import dump_yaml
from cli.errors import CliError, UsageError
from cli.options import with_globals


def run_editor(text: str, suffix: str = ".yaml") -> str:
    """Write `text` to a temp file, run $EDITOR on it and return the edited text."""
    editor = os.environ.get("EDITOR") or os.environ.get("VISUAL")
    if not editor:
        raise UsageError("EDITOR environment variable is not set")
    fd, tmp = tempfile.mkstemp(prefix="rpk_profile_", suffix=suffix)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        rc = subprocess.run([*shlex.split(editor), tmp], check=False).returncode
        if rc != 0:
            raise CliError(f"editor {editor!r} exited with status {rc}")
        return Path(tmp).read_text()
    finally:
        os.unlink(tmp)


@with_globals
def profile_edit(
    name: Annotated[
        Optional[str], typer.Argument(help="Profile to edit (default: current).")
    ] = None,
) -> None:
    """Edit an rpk profile in $EDITOR."""
    rpk = _store.load()
    chosen = _store.name_or_current(rpk, name)
    profile = rpk.require_profile(chosen)
    try:
        edited = yaml.safe_load(run_editor(dump_yaml(profile)))
    except yaml.YAMLError:
        raise UsageError("the edited profile is not valid YAML") from None
    if not isinstance(edited, dict):
        raise UsageError("the edited profile is not a YAML mapping")
    new_name = str(edited.get("name") or chosen)
    if new_name != chosen and rpk.profile(new_name) is not None:
        raise UsageError(f'profile "{new_name}" already exists')
    edited["name"] = new_name
    rpk.profiles[rpk.profiles.index(profile)] = edited
    if rpk.current_profile == chosen:
        rpk.current_profile = new_name
    rpk.save()
    typer.echo(f'Profile "{new_name}" updated.')


def register(app: typer.Typer) -> None:
    app.command("edit")(profile_edit)
