"""`rpk registry` (alias `sr`): schemas, subjects, compatibility levels and modes."""

from __future__ import annotations

import typer

from cli._app import add_group, new_group
from cli.commands.registry import schema, settings, subject


def register(root: typer.Typer) -> None:
    app = new_group("registry", "Commands to interact with the schema registry.")
    schema.register(app)
    subject.register(app)
    settings.register(app)
    add_group(root, app, "registry", aliases=("sr",))
