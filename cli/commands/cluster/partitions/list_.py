"""`rpk cluster partitions list|ls|describe [TOPICS...] [-a] [--disabled-only] [-p ids]
[-n ids] [--format]`: `NAMESPACE TOPIC PARTITION LEADER-ID REPLICA-CORE DISABLED`."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._app import add_command
from cli.clients.admin import from_profile
from cli.commands.cluster.partitions._admin import all_partitions, topic_partitions
from cli.errors import UsageError
from cli.options import with_globals
from cli.output import check_format, print_structured, print_table


def _ids(values: list[str] | None) -> list[int]:
    out = []
    for value in values or []:
        for part in value.split(","):
            try:
                out.append(int(part))
            except ValueError:
                raise UsageError(
                    f'invalid argument "{value}": {part!r} is not an integer'
                ) from None
    return out


def _ns_topic(name: str) -> tuple[str, str]:
    ns, sep, topic = name.partition("/")
    return (ns, topic) if sep else ("kafka", name)


def _text(rows: list[dict]) -> None:
    table = []
    for p in rows:
        leader = p.get("leader_id")
        disabled = p.get("disabled")
        replicas = " ".join(f"{r['node_id']}-{r.get('core', 0)}" for r in p["replicas"])
        table.append(
            [
                p["ns"],
                p["topic"],
                p["partition_id"],
                "-" if leader is None else leader,
                f"[{replicas}]",
                "-" if disabled is None else str(disabled).lower(),
            ]
        )
    print_table(["namespace", "topic", "partition", "leader-id", "replica-core", "disabled"], table)


@with_globals
def partitions_list(
    ctx: typer.Context,
    topics: Annotated[list[str] | None, typer.Argument(help="Topics ([ns/]topic).")] = None,
    all_: Annotated[
        bool, typer.Option("-a", "--all", help="If true, list all partitions in the cluster")
    ] = False,
    disabled_only: Annotated[
        bool, typer.Option("--disabled-only", help="If true, list disabled partitions only")
    ] = False,
    partition: Annotated[
        list[str] | None,
        typer.Option("-p", "--partition", help="List of comma-separated partitions IDs"),
    ] = None,
    node_ids: Annotated[
        list[str] | None,
        typer.Option("-n", "--node-ids", help="List of comma-separated broker IDs"),
    ] = None,
    format_: Annotated[str, typer.Option("--format", help="Output format: text, json, yaml")] = (
        "text"
    ),
) -> None:
    """List partitions in the cluster."""
    fmt = check_format(format_)
    if not topics and not all_:
        typer.echo(ctx.get_help())
        return
    if topics and all_:
        raise UsageError("flag '--all' cannot be used with topic filters.")
    client = from_profile()
    if all_:
        rows = all_partitions(client)
    else:
        rows = []
        for name in topics or []:
            if not name:
                raise UsageError("invalid empty topic")
            rows.extend(topic_partitions(client, *_ns_topic(name)))
    wanted, nodes = _ids(partition), _ids(node_ids)
    if wanted:
        rows = [p for p in rows if p["partition_id"] in wanted]
    if nodes:
        rows = [p for p in rows if all(n in {r["node_id"] for r in p["replicas"]} for n in nodes)]
    if disabled_only:
        rows = [p for p in rows if p.get("disabled")]
    rows.sort(key=lambda p: (p["ns"], p["topic"], p["partition_id"]))
    if fmt != "text":
        print_structured(rows, fmt)
        return
    _text(rows)


def register(app: typer.Typer) -> None:
    add_command(app, partitions_list, "list", aliases=("ls", "describe"))
