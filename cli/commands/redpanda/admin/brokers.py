"""`rpk redpanda admin brokers list|ls [-d] | decommission ID [--force] |
decommission-status ID [-d] [-H] | recommission ID` (Admin API; Redpanda's
src/go/rpk/pkg/cli/redpanda/admin/brokers)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._app import add_command, new_group
from cli.clients.admin import AdminApiError, AdminClient, from_profile
from cli.errors import CliError
from cli.options import with_globals
from cli.output import print_table, section

BROKER = Annotated[str, typer.Argument(metavar="BROKER-ID", help="Broker id.")]
FORCE_HINT = (
    "to bypass the node version check re-run this with --force; see this command's help text "
    "for more details"
)


def _broker_id(raw: str) -> int:
    try:
        broker = int(raw)
    except ValueError:
        raise CliError(
            f'invalid broker {raw}: strconv.Atoi: parsing "{raw}": invalid syntax'
        ) from None
    if broker < 0:
        raise CliError(f"invalid negative broker id {broker}")
    return broker


def _dash(value: object) -> str:
    text = "" if value is None else str(value)
    return "-" if text in ("", "0.0.0") else text


def _uuids(client: AdminClient) -> dict[int, str] | None:
    try:
        return {row["node_id"]: row["uuid"] for row in client.get_json("/v1/broker_uuids")}
    except AdminApiError as exc:
        typer.echo(f"unable to retrieve node UUIDs: {exc}", nl=False)
        return None


@with_globals
def brokers_list(
    include_decommissioned: Annotated[
        bool,
        typer.Option(
            "-d", "--include-decommissioned", help="If true, include decommissioned brokers"
        ),
    ] = False,
) -> None:
    """List the brokers in your cluster."""
    client = from_profile()
    try:
        brokers = client.get_json("/v1/brokers")
    except AdminApiError as exc:
        raise CliError(f"unable to request brokers: {exc}") from None
    uuids = _uuids(client)
    headers = ["ID", "Host", "Port", "Rack", "Cores", "Membership", "Is-Alive", "Version"]
    rows = []
    for b in brokers:
        rows.append(
            [
                b["node_id"],
                b.get("internal_rpc_address", ""),
                b.get("internal_rpc_port", 0),
                _dash(b.get("rack")),
                b.get("num_cores", 0),
                b.get("membership_status", ""),
                str(b.get("is_alive", True)).lower(),
                _dash(b.get("version")),
            ]
        )
        if uuids is not None:
            rows[-1].append(uuids.get(b["node_id"], "-"))
    if uuids is not None:
        headers.append("UUID")
        if include_decommissioned:
            active = {b["node_id"] for b in brokers}
            rows += [
                [n, "-", "-", "-", "-", "-", "-", "-", u]
                for n, u in uuids.items()
                if n not in active
            ]
    print_table(headers, rows)


@with_globals
def decommission(
    broker: BROKER,
    force: Annotated[
        bool, typer.Option("--force", help="Force decommission of the broker (skip checks)")
    ] = False,
) -> None:
    """Decommission the given broker."""
    node_id = _broker_id(broker)
    client = from_profile()
    if not force:
        try:
            brokers = client.get_json("/v1/brokers")
        except AdminApiError as exc:
            raise CliError(f"unable to get broker list: {exc}; {FORCE_HINT}") from None
        if not any(b["node_id"] == node_id for b in brokers):
            raise CliError(f"unable to find broker {node_id} in the cluster; {FORCE_HINT}")
    try:
        client.send_any("PUT", f"/v1/brokers/{node_id}/decommission")
    except AdminApiError as exc:
        raise CliError(f"unable to decommission broker: {exc}") from None
    typer.echo(
        f"Success, broker {node_id} decommission started.  Use `rpk redpanda admin brokers "
        f"decommission-status {node_id}` to monitor data movement.\n`"
    )


def _human(size: int) -> str:
    units = ["B", "kB", "MB", "GB", "TB", "PB"]
    value, i = float(size), 0
    while value >= 1000 and i < len(units) - 1:
        value, i = value / 1000, i + 1
    return f"{value:.4g}{units[i]}"


@with_globals
def decommission_status(
    broker: BROKER,
    detailed: Annotated[
        bool, typer.Option("-d", "--detailed", help="Print how much data moved and remains")
    ] = False,
    human: Annotated[
        bool, typer.Option("-H", "--human-readable", help="Print the partition size human-readably")
    ] = False,
) -> None:
    """Show the progress of a node decommissioning."""
    node_id = _broker_id(broker)
    try:
        status = from_profile().get_json(f"/v1/brokers/{node_id}/decommission")
    except AdminApiError as exc:
        if exc.status == 400:
            typer.echo(exc.message)
            raise typer.Exit(0) from None
        raise CliError(f"unable to request brokers: {exc}") from None
    if status["finished"]:
        left = status.get("replicas_left", 0)
        if left == 0:
            typer.echo(f"Node {node_id} is decommissioned successfully.")
        else:
            typer.echo(
                f"Node {node_id} is decommissioned but there are {left} replicas left, which may "
                "be an issue inside Redpanda."
            )
        return
    failures = sorted(status.get("allocation_failures") or [])
    if failures:
        typer.echo(section("allocation failures", "\n".join(failures)) + "\n")
    size = _human if human else str
    headers = ["Namespace-Topic", "Partition", "Moving-to", "Completion-%", "Partition-size"]
    if detailed:
        headers += ["Bytes-moved", "Bytes-remaining"]
    rows = []
    for p in sorted(
        status.get("partitions") or [], key=lambda p: (p["ns"], p["topic"], p["partition"])
    ):
        total, moved = p.get("partition_size", 0), p.get("bytes_moved", 0)
        row = [
            f"{p['ns']}/{p['topic']}",
            p["partition"],
            p["moving_to"]["node_id"],
            moved * 100 // total if total > 0 else 0,
            size(total),
        ]
        if detailed:
            row += [size(moved), size(p.get("bytes_left_to_move", 0))]
        rows.append(row)
    from cli.output import format_table

    typer.echo(section("decommission progress", format_table(headers, rows)))


@with_globals
def recommission(broker: BROKER) -> None:
    """Recommission the given broker if it is still decommissioning."""
    node_id = _broker_id(broker)
    try:
        from_profile().send_any("PUT", f"/v1/brokers/{node_id}/recommission")
    except AdminApiError as exc:
        raise CliError(f"unable to recommission broker: {exc}") from None
    typer.echo(f"Success, broker {node_id} has been recommissioned!")


def register(admin_app: typer.Typer) -> None:
    app = new_group("brokers", "View and configure Redpanda brokers through the admin listener.")
    add_command(app, brokers_list, "list", aliases=("ls",))
    add_command(app, decommission, "decommission")
    add_command(app, decommission_status, "decommission-status")
    add_command(app, recommission, "recommission")
    admin_app.add_typer(app, name="brokers")
