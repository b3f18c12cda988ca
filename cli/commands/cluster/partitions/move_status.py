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
from cli.output import print_table, section


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
        moved * 100 // size if size > 0 else 0,
        fmt(size),
        fmt(moved),
        fmt(r.get("bytes_left_to_move", 0)),
    ]


@with_globals
def move_status(
    topics: Annotated[list[str] | None, typer.Argument(help="Topics.")] = None,
    print_all: Annotated[
        bool,
        typer.Option("-a", "--print-all", help="Print internal states about movements"),
    ] = False,
    human: Annotated[
        bool,
        typer.Option("-H", "--human-readable", help="Print the partition size human-readably"),
    ] = False,
    partition: Annotated[
        list[str] | None,
        typer.Option("-p", "--partition", help="Partitions to filter ongoing movements status"),
    ] = None,
) -> None:
    """Show ongoing partition movements."""
    parts = [p for value in partition or [] for p in value.split(",")]
    if not topics and parts:
        raise CliError("specify at least one topic when --partition is used, exiting.")
    moves = reconfigurations(from_profile())
    if not moves:
        typer.echo("There are no ongoing partition movements.")
        return
    moves = _filter(moves, topics or [], parts)
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
    if not print_all:
        print_table(headers, [_row(r, human) for r in moves])
        return
    from cli.output import format_table

    typer.echo(
        section("partition movements", format_table(headers, [_row(r, human) for r in moves]))
    )
    blocks = []
    for r in moves:
        rows = [
            [
                s["node_id"],
                op.get("core", 0),
                op.get("type"),
                op.get("retry_number"),
                op.get("revision"),
                op.get("status"),
            ]
            for s in r.get("reconciliation_statuses", [])
            for op in s.get("operations", [])
        ]
        headers2 = ["Node-id", "Core", "Type", "Retry-number", "Revision", "Status"]
        blocks.append(f"{r['ns']}/{r['topic']}/{r['partition']}\n" + format_table(headers2, rows))
    typer.echo(section("reconciliation statuses", "\n\n".join(blocks)))


def register(app: typer.Typer) -> None:
    add_command(app, move_status, "move-status")
