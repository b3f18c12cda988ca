"""`rpk security` (alias `sec`): SASL users through the Admin API."""

from __future__ import annotations

import typer

from cli._app import add_group, new_group
from cli.commands.security import acl, user


def register(root: typer.Typer) -> None:
    app = new_group("security", "Manage Ailurus security.")
    user.register(app)
    acl.register(app)
    add_group(root, app, "security", aliases=("sec",))
