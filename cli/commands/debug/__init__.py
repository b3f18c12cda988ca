"""`rpk debug`: debug the local Redpanda process (bundle)."""

from __future__ import annotations

import typer

from cli._app import new_group
from cli.commands.debug import bundle, info, remote_bundle


def register(root: typer.Typer) -> None:
    app = new_group("debug", "Debug the local Redpanda process.")
    bundle.register(app)
    info.register(app, root)
    remote_bundle.register(app)
    root.add_typer(app, name="debug")
