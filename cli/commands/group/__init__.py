"""`rpk group` (alias `g`): describe, list, delete, seek and offset-delete consumer groups."""

from __future__ import annotations

import typer

from cli._app import add_group, new_group
from cli.commands.group import delete, describe, list, seek


def register(root: typer.Typer) -> None:
    app = new_group("group", "Describe, list, and delete consumer groups and manage their offsets.")
    for module in (list, describe, delete, seek):
        module.register(app)
    add_group(root, app, "group", aliases=("g",))
