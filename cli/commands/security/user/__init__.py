"""`rpk security user`: create, delete, list and update SASL/SCRAM users."""

from __future__ import annotations

import typer

from cli._app import new_group
from cli.commands.security.user import create, delete, list_users, update


def register(parent: typer.Typer) -> None:
    app = new_group("user", "Manage SASL users.")
    for module in (create, delete, list_users, update):
        module.register(app)
    parent.add_typer(app, name="user")
