"""`rpk redpanda admin`: talk to one broker's Admin API (config print, config log-level set)."""

from __future__ import annotations

import typer

from cli._app import new_group
from cli.commands.redpanda.admin import brokers, config


def register(parent: typer.Typer) -> None:
    app = new_group("admin", "Talk to the Redpanda admin listener.")
    brokers.register(app)
    config.register(app)
    parent.add_typer(app, name="admin")
