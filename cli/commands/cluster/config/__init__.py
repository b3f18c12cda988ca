"""`rpk cluster config`: cluster-wide properties through the Admin API."""

from __future__ import annotations

import typer

from cli._app import new_group
from cli.commands.cluster.config import (
    edit,
    export,
    force_reset,
    get,
    import_,
    lint,
    set_,
    status,
)


def register(cluster_app: typer.Typer) -> None:
    app = new_group("config", "Interact with cluster configuration properties.")
    for module in (get, set_, edit, export, import_, status, lint, force_reset):
        module.register(app)
    cluster_app.add_typer(app, name="config")
