"""`rpk cluster partitions move-status [TOPICS...] [-p ids] [-a] [-H]`: the moves in progress
(`Namespace-Topic Partition Moving-from Moving-to Completion-% Partition-size Bytes-moved
Bytes-remaining`), with -a each partition's reconciliation statuses."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._app import add_command
from cli.clients.admin import from_profile
from cli.commands.cluster.partitions._admin import node_list, reconfigurations
from cli.errors import CliError
from cli.options import with_globals
from cli.output import emit, format_table, section


def human_size(size: int) -> str:
    """docker/go-units HumanSize: decimal units, 4 significant digits."""
    units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    value, i = float(size), 0
    while value >= 1000 and i < len(units) - 1:
        value, i = value / 1000, i + 1
    return f"{value:.4g}{units[i]}"


def _filter(moves: list[dict], topics: list[str], partitions: list[str]) -> list[dict]:
    out = []
    for t in topics:
        nt = t.split("/")
        if len(nt) > 2:
            typer.echo(f"invalid format for topic {t}, skipping.")
            continue
        for r in moves:
            kafka = len(nt) == 1 and r["ns"] == "kafka" and r["topic"] == t
            internal = len(nt) == 2 and r["ns"] == nt[0] and r["topic"] == nt[1]
            if (kafka or internal) and (not partitions or str(r["partition"]) in partitions):
                out.append(r)
    return out or moves


def _row(r: dict, human: bool) -> list:
    size, moved = r.get("partition_size", 0), r.get("bytes_moved", 0)
    fmt = human_size if human else str
    return [
        f"{r['ns']}/{r['topic']}",
        r["partition"],
        node_list(r["previous_replicas"]),
        node_list(r["current_replicas"]),
        # rpk carries the previous row's figure over when the size is 0; 0 is the honest one
        moved * 100 // size if size > 0 else 0,
        fmt(size),
        fmt(moved),
        fmt(r.get("bytes_left_to_move", 0)),
    ]


def _sorted(moves: list[dict]) -> list[dict]:
    """rpk's types.Sort (a deep sort): moves by namespace, topic, partition; inside each, the
    replica sets by node then core, the statuses by node, each node's operations by core,
    retry number, revision, status, type (the field order of rpadmin's structs)."""

    def replicas(rs: list[dict]) -> list[dict]:
        return sorted(rs or [], key=lambda x: (x["node_id"], x.get("core", 0)))

    def op_key(op: dict) -> tuple:
        fields = ("core", "retry_number", "revision")
        return (*(op.get(f, 0) for f in fields), op.get("status", ""), op.get("type", ""))

    out = []
    for r in sorted(moves, key=lambda m: (m["ns"], m["topic"], m["partition"])):
        statuses = [
            {**s, "operations": sorted(s.get("operations") or [], key=op_key)}
            for s in r.get("reconciliation_statuses") or []
        ]
        statuses.sort(key=lambda s: (s["node_id"], len(s["operations"])))
        out.append(
            {
                **r,
                "previous_replicas": replicas(r.get("previous_replicas")),
                "current_replicas": replicas(r.get("current_replicas")),
                "reconciliation_statuses": statuses,
            }
        )
    return out


def _statuses(r: dict) -> str:
    """One partition's block: its name, then one row per node with every operation of that
    node appended to the row (rpk prints them so: core, type, retry, revision, status each)."""
    rows = [
        [s["node_id"]]
        + [
            v
            for op in s["operations"]
            for v in (
                op.get("core", 0),
                op.get("type", ""),
                op.get("retry_number", 0),
                op.get("revision", 0),
                op.get("status", ""),
            )
        ]
        for s in r["reconciliation_statuses"]
    ]
    headers = ["Node-id", "Core", "Type", "Retry-number", "Revision", "Status"]
    return f"{r['ns']}/{r['topic']}/{r['partition']}\n" + format_table(headers, rows)


def render(moves: list[dict], human: bool, print_all: bool) -> str:
    """rpk's move-status sections: PARTITION MOVEMENTS always titled; with -a, a blank line
    and RECONCILIATION STATUSES, one block per partition separated by blank lines."""
    moves = _sorted(moves)
    headers = [
        "Namespace-Topic",
        "Partition",
        "Moving-from",
        "Moving-to",
        "Completion-%",
        "Partition-size",
        "Bytes-moved",
        "Bytes-remaining",
    ]
    text = section("partition movements", format_table(headers, [_row(r, human) for r in moves]))
    if not print_all:
        return text.removesuffix("\n")
    blocks = "\n\n".join(_statuses(r) for r in moves)
    return text + "\n" + section("reconciliation statuses", blocks).removesuffix("\n")


@with_globals
def move_status(
    topics: Annotated[list[str] | None, typer.Argument(help="Topics.")] = None,
    print_all: Annotated[
        bool,
        typer.Option(
            "-a", "--print-all", help="Print internal states about movements for debugging"
        ),
    ] = False,
    human: Annotated[
        bool,
        typer.Option(
            "-H", "--human-readable", help="Print the partition size in a human-readable form"
        ),
    ] = False,
    partition: Annotated[
        list[str] | None,
        typer.Option(
            "-p",
            "--partition",
            help="Partitions to filter ongoing movements status (repeatable)",
            metavar="strings",
        ),
    ] = None,
) -> None:
    """Show ongoing partition movements.

    By default this command lists all ongoing partition movements in the cluster.
    Topics can be specified to print the move status of specific topics. By default,
    this command assumes the "kafka" namespace, but you can use a "namespace/" to
    specify internal namespaces.

        rpk cluster partitions move-status
        rpk cluster partitions move-status foo bar kafka_internal/tx

    The "--partition / -p" flag can be used with topics to additional filter
    requested partitions:

        rpk cluster partitions move-status foo bar --partition 0,1,2

    The output contains the following columns with PARTITION-SIZE in bytes.
    Using -H, it prints the partition size in a human-readable format

        NAMESPACE-TOPIC
        PARTITION
        MOVING-FROM
        MOVING-TO
        COMPLETION-%
        PARTITION-SIZE
        BYTES-MOVED
        BYTES-REMAINING

    Using "--print-all / -a" the command additionally prints the column
    "RECONCILIATION STATUSES", which reveals the internal status of the ongoing
    reconciliations. Reported errors do not necessarily mean real problems.
    """
    parts = [p for value in partition or [] for p in value.split(",")]
    if not topics and parts:
        raise CliError("specify at least one topic when --partition is used, exiting.")
    moves = reconfigurations(from_profile())
    if not moves:
        typer.echo("There are no ongoing partition movements.")
        return
    moves = _filter(moves, topics or [], parts)
    emit(render(moves, human, print_all))


def register(app: typer.Typer) -> None:
    add_command(app, move_status, "move-status", short_help="Show ongoing partition movements")
