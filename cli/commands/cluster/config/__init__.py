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
from cli.commands.cluster.config._all import group_options


def register(cluster_app: typer.Typer) -> None:
    app = new_group("config", "Interact with cluster configuration properties.")
    app.callback()(group_options)  # --all is persistent, as rpk's: given before the subcommand
    for module in (get, set_, edit, export, import_, status, lint, force_reset):
        module.register(app)
    cluster_app.add_typer(app, name="config")
