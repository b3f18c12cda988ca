"""`rpk cluster partitions`: list partitions, move their replicas, follow and cancel moves
(Admin API; Redpanda's src/go/rpk/pkg/cli/cluster/partitions)."""

from __future__ import annotations

import importlib

import typer

from cli._app import new_group
from cli.commands.cluster.partitions import list_, move, move_cancel, move_status

# commands of this group kept in other modules (transfer-leadership, balancer ...), if present
OTHER_MODULES = (
    "cli.commands.cluster.partitions_transfer",
    "cli.commands.cluster.partitions_balancer",
    "cli.commands.cluster.partitions_toggle",
)


def register(cluster_app: typer.Typer) -> None:
    app = new_group("partitions", "Manage cluster partitions.")
    for module in (list_, move, move_status, move_cancel):
        module.register(app)
    for name in OTHER_MODULES:
        try:
            importlib.import_module(name).register(app)
        except ModuleNotFoundError:
            pass
    cluster_app.add_typer(app, name="partitions")
