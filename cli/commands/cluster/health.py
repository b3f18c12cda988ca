"""`rpk cluster health`: the cluster health overview, optionally watched until it changes or heals."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

import typer

from admin_api.models import HealthOverview
from cli._app import add_command
from cli.clients.admin import from_profile
from cli.clients.admin.cluster import health_overview
from cli.options import with_globals
from cli.output import format_rows, section

WATCH_INTERVAL_S = 2.0
MAX_WATCH_POLLS = 43_200  # a day at the default interval


def render(h: HealthOverview) -> str:
    def ids(values: list) -> str:
        return "[" + ", ".join(str(v) for v in values) + "]"

    rows = [
        ["Healthy:", str(h.is_healthy).lower()],
        ["Unhealthy reasons:", ids(h.unhealthy_reasons)],
        ["Controller ID:", h.controller_id],
        ["All nodes:", ids(h.all_nodes)],
        ["Nodes down:", ids(h.nodes_down)],
    ]
    if h.nodes_in_recovery_mode:
        rows.append(["Nodes in recovery mode:", ids(h.nodes_in_recovery_mode)])
    rows.append([f"Leaderless partitions ({h.leaderless_count}):", ids(h.leaderless_partitions)])
    rows.append(
        [
            f"Under-replicated partitions ({h.under_replicated_count}):",
            ids(h.under_replicated_partitions),
        ]
    )
    body = format_rows(rows)
    return section("cluster health overview", body)


def watch(
    fetch: Callable[[], HealthOverview],
    exit_when_healthy: bool,
    interval_s: float,
    max_polls: int = MAX_WATCH_POLLS,
) -> None:
    """Print the overview, then again whenever it changes; stop once healthy if asked."""
    last: HealthOverview | None = None
    for poll in range(max_polls):
        current = fetch()
        if current != last:
            typer.echo(render(current))
            last = current
        if exit_when_healthy and current.is_healthy:
            return
        if poll < max_polls - 1:
            time.sleep(interval_s)


@with_globals
def cluster_health(
    watch_: Annotated[
        bool,
        typer.Option(
            "-w", "--watch", help="Block and print again whenever cluster health changes."
        ),
    ] = False,
    exit_when_healthy: Annotated[
        bool,
        typer.Option(
            "-e", "--exit-when-healthy", help="With --watch, exit once the cluster is healthy."
        ),
    ] = False,
    interval_s: Annotated[
        float, typer.Option("--interval-s", hidden=True, min=0.05)
    ] = WATCH_INTERVAL_S,
) -> None:
    """Query the health of the cluster."""
    client = from_profile()
    if not watch_:
        typer.echo(render(health_overview(client)))
        return
    watch(lambda: health_overview(client), exit_when_healthy, interval_s)


def register(cluster_app: typer.Typer) -> None:
    add_command(cluster_app, cluster_health, "health")
