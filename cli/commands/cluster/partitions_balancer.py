"""`rpk cluster partitions balance` (on-demand partition balancing, POST
/v1/partitions/rebalance) and `rpk cluster partitions balancer-status` (GET
/v1/cluster/partition_balancer/status), as rpk's balancer_run.go and status.go print them."""

from __future__ import annotations

from typing import Any

import typer

from cli._app import add_command
from cli.clients.admin import AdminApiError, from_profile
from cli.errors import CliError
from cli.options import with_globals
from cli.output import format_rows

BALANCE_HELP = """Triggers on-demand partition balancing.

This command allows you to trigger on-demand partition balancing.

With Redpanda Community Edition, the partition count on each broker
can easily become uneven, which leads to data skewing. To distribute
partitions across brokers, you can run this command to trigger
on-demand partition balancing.

After you run this command, monitor the balancer progress using:

    rpk cluster partitions balancer-status

To see more detailed movement status, monitor the progress using:

    rpk cluster partitions move-status
"""

STATUS_HELP = """Queries cluster for partition balancer status:

If continuous partition balancing is enabled, redpanda will continuously
reassign partitions from both unavailable nodes and from nodes using more disk
space than the configured limit.

This command can be used to monitor the partition balancer status.

FIELDS

    Status:                        Either off, ready, starting, in progress, or
                                   stalled.
    Seconds Since Last Tick:       The last time the partition balancer ran.
    Current Reassignments Count:   Current number of partition reassignments in
                                   progress.
    Unavailable Nodes:             The nodes that have been unavailable after a
                                   time set by the
                                   "partition_autobalancing_node_availability_timeout_sec"
                                   cluster property.
    Over Disk Limit Nodes:         The nodes that surpassed the threshold of
                                   used disk percentage specified in the
                                   "partition_autobalancing_max_disk_usage_percent"
                                   cluster property.
"""


def _go_ints(values: list[Any] | None) -> str:
    return "[" + " ".join(str(v) for v in values or []) + "]"


def render_status(status: dict[str, Any]) -> str:
    rows: list[list[Any]] = [
        ["Status:", status.get("status", "")],
        ["Seconds Since Last Tick:", status.get("seconds_since_last_tick", 0)],
        ["Current Reassignment Count:", status.get("current_reassignments_count", 0)],
    ]
    violations = status.get("violations") or {}
    unavailable = violations.get("unavailable_nodes") or []
    full = violations.get("over_disk_limit_nodes") or []
    if unavailable or full:
        rows.append(["Unavailable Nodes:", _go_ints(unavailable)])
        rows.append(["Over Disk Limit Nodes:", _go_ints(full)])
    return format_rows(rows)


@with_globals
def balance() -> None:
    """Triggers on-demand partition balancing."""
    client = from_profile()
    try:
        client.send_any("POST", "/v1/partitions/rebalance")
    except AdminApiError as exc:
        raise CliError(f"failed to invoke on-demand partition balancing: {exc}") from None
    typer.echo(
        "Successfully triggered on-demand partition balancing.\n\n"
        "Please find the progress with 'rpk cluster partitions balancer-status'."
    )


@with_globals
def balancer_status() -> None:
    """Queries cluster for partition balancer status."""
    client = from_profile()
    try:
        status = client.get_json("/v1/cluster/partition_balancer/status")
    except AdminApiError as exc:
        raise CliError(f"unable to request balancer status: {exc}") from None
    typer.echo(render_status(status))


def register(app: typer.Typer) -> None:
    add_command(app, balance, "balance", help=BALANCE_HELP)
    add_command(app, balancer_status, "balancer-status", help=STATUS_HELP)
