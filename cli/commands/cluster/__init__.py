"""`rpk cluster`: cluster-wide information and operations."""

from __future__ import annotations

import typer

from cli._app import new_group
from cli.commands.cluster import (
    config,
    health,
    info,
    logdirs,
    maintenance,
    partitions,
    quotas,
    self_test,
    txn,
)


def register(root: typer.Typer) -> None:
    app = new_group("cluster", "Interact with a Redpanda cluster.")
    info.register(app)
    logdirs.register(app)
    health.register(app)
    config.register(app)
    partitions.register(app)
    quotas.register(app)
    self_test.register(app)
    maintenance.register(app)
    txn.register(app)
    root.add_typer(app, name="cluster")
