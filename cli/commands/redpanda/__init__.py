"""`rpk redpanda`: interact with a local broker (start, stop, config, mode, tune, check)."""

from __future__ import annotations

import typer

from cli._app import new_group
from cli.commands.redpanda import check, config, mode, start, stop, tune


def register(root: typer.Typer) -> None:
    app = new_group("redpanda", "Interact with a local Redpanda process.")
    for module in (start, stop, config, mode, tune, check):
        module.register(app)
    root.add_typer(app, name="redpanda")
