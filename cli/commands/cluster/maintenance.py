"""`rpk cluster maintenance enable BROKER-ID [--wait] | disable BROKER-ID | status` (Admin API).

Messages and the status table follow rpk's cli/cluster/maintenance: a drain field the broker
does not report (a node not in maintenance reports only `draining`) prints as `-`.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from cli._app import add_command, new_group
from cli.clients.admin import AdminApiError, from_profile
from cli.errors import CliError
from cli.options import with_globals
from cli.output import format_table

POLL_INTERVAL_S = 2.0
MAX_POLLS = 43_200  # a day at the default interval
STATUS_RETRIES = 3
HEADERS = (
    "Node-ID",
    "Enabled",
    "Finished",
    "Errors",
    "Partitions",
    "Eligible",
    "Transferring",
    "Failed",
)
_FIELDS = ("finished", "errors", "partitions", "eligible", "transferring", "failed")


def _go(value: Any) -> str:
    if value is None:
        return "-"
    return str(value).lower() if isinstance(value, bool) else str(value)


def report_row(broker: dict) -> list[str]:
    status = broker.get("maintenance_status") or {}
    return [
        str(broker["node_id"]),
        _go(bool(status.get("draining", False))),
        *(_go(status.get(f)) for f in _FIELDS),
    ]


def _node_id(raw: str) -> int:
    try:
        node_id = int(raw, 10)
    except ValueError:
        raise CliError(
            f'could not parse node id: {raw}: strconv.Atoi: parsing "{raw}": invalid syntax'
        ) from None
    if node_id < 0:
        raise CliError(f"invalid node id: {node_id}")
    return node_id


def _broker(client, node_id: int) -> dict:
    return client.get_json(f"/v1/brokers/{node_id}")


def _retrieve(client, node_id: int, newline: str = "") -> dict:
    try:
        return _broker(client, node_id)
    except CliError as exc:
        raise CliError(
            f"error retrieving broker status. The node {node_id} is likely dead?: {exc}{newline}"
        ) from None


def _body_message(exc: AdminApiError) -> str:
    return exc.message


@with_globals
def maintenance_enable(
    broker_id: Annotated[str, typer.Argument(metavar="BROKER-ID")],
    wait: Annotated[bool, typer.Option("-w", "--wait", help="Wait until node is drained")] = False,
    interval_s: Annotated[
        float, typer.Option("--interval-s", hidden=True, min=0.05)
    ] = POLL_INTERVAL_S,
) -> None:
    """Enable maintenance mode for a node.

    This command enables maintenance mode for the node with the specified ID. If a node exists
    that is already in maintenance mode then an error will be returned.
    """
    node_id = _node_id(broker_id)
    client = from_profile()
    broker = _retrieve(client, node_id)
    if (broker.get("maintenance_status") or {}).get("draining"):
        typer.echo(
            f"Maintenance mode is already enabled for node {node_id}. Check the status with "
            "'rpk cluster maintenance status'."
        )
        return
    try:
        client.send_any("PUT", f"/v1/brokers/{node_id}/maintenance")
    except AdminApiError as exc:
        if exc.status == 404:
            raise CliError(f"Not found: {_body_message(exc)}") from None
        if exc.status == 400:
            raise CliError(f"Cannot enable maintenance mode: {_body_message(exc)}") from None
        raise CliError(f"error enabling maintenance mode for node {node_id}: {exc}") from None
    except CliError as exc:
        raise CliError(f"error enabling maintenance mode for node {node_id}: {exc}") from None
    if not wait:
        typer.echo(
            f"Successfully enabled maintenance mode for node {node_id}. Check the partition "
            "draining status with 'rpk cluster maintenance status'."
        )
        return
    typer.echo(
        f"Successfully enabled maintenance mode for node {node_id}. Waiting for node to drain..."
    )
    _wait_drained(client, node_id, interval_s)


def _wait_drained(client, node_id: int, interval_s: float) -> None:
    """Print a status row every poll (the header with the first) until the node is drained."""
    retries = STATUS_RETRIES
    header = True
    for _ in range(MAX_POLLS):
        try:
            broker = _broker(client, node_id)
        except CliError as exc:
            if retries <= 0:
                raise CliError(
                    f"Error retrieving broker status while watching the progress: {exc}"
                ) from None
            retries -= 1
            time.sleep(interval_s)
            continue
        retries = STATUS_RETRIES
        rows = [report_row(broker)]
        text = format_table(HEADERS, rows)
        typer.echo(text if header else text.split("\n", 1)[1])
        header = False
        status = broker.get("maintenance_status") or {}
        if status.get("draining") and status.get("finished"):
            typer.echo(f"\nAll partitions on node {node_id} have drained.")
            return
        time.sleep(interval_s)
    raise CliError(f"node {node_id} did not drain")


@with_globals
def maintenance_disable(
    broker_id: Annotated[str, typer.Argument(metavar="BROKER-ID")],
) -> None:
    """Disable maintenance mode for a node."""
    node_id = _node_id(broker_id)
    client = from_profile()
    _retrieve(client, node_id, "\n")
    try:
        client.send_any("DELETE", f"/v1/brokers/{node_id}/maintenance")
    except AdminApiError as exc:
        if exc.status == 404:
            raise CliError(f"Not found: {_body_message(exc)}") from None
        raise CliError(f"error disabling maintenance mode: {exc}") from None
    except CliError as exc:
        raise CliError(f"error disabling maintenance mode: {exc}") from None
    typer.echo(
        f"Successfully disabled maintenance mode for node {node_id}. Check the status with "
        "'rpk cluster maintenance status'."
    )


@with_globals
def maintenance_status() -> None:
    """Report maintenance status.

    This command reports maintenance status for each node in the cluster. The output is
    presented as a table with each row representing a node in the cluster. The output can be
    used to monitor the progress of node draining.
    """
    client = from_profile()
    try:
        brokers = client.get_json("/v1/brokers")
    except CliError as exc:
        raise CliError(f"unable to request brokers: {exc}") from None
    if not brokers:
        raise CliError("No brokers found. Check broker address configuration.")
    typer.echo(format_table(HEADERS, [report_row(b) for b in brokers]))


def register(cluster_app: typer.Typer) -> None:
    app = new_group(
        "maintenance",
        "Toggle a node's maintenance mode.\n\nMaintenance mode is a state that a node may be "
        "placed into in which the node may be shutdown or restarted with minimal disruption "
        "to client workloads. Only one node at a time may be in maintenance mode.",
    )
    add_command(app, maintenance_enable, "enable")
    add_command(app, maintenance_disable, "disable")
    add_command(app, maintenance_status, "status")
    cluster_app.add_typer(app, name="maintenance")
