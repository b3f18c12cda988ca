"""`rpk profile`: manage rpk profiles in rpk.yaml."""

from __future__ import annotations

import typer

from cli._app import new_group
from cli.commands.profile import create, delete, edit, globals, list, prompt, select, set, show


def register(root: typer.Typer) -> None:
    app = new_group("profile", "Manage rpk profiles.")
    for module in (create, select, list, delete, edit, show, set, globals, prompt):
        module.register(app)
    root.add_typer(app, name="profile")
