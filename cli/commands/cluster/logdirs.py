"""`rpk cluster logdirs describe` (DescribeLogDirs)."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Optional

import typer

from cli import options
from cli._app import new_group
from cli.clients import kafka as kc
from cli.errors import UsageError
from cli.options import with_globals
from cli.output import print_table
from cli.views import error_text

AGGREGATES = ("broker", "dir", "topic")


def human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.2f} {unit}"
        value /= 1024
    return str(size)


def flatten(result: list[dict], topics: set[str]) -> list[tuple]:
    """(broker, dir, topic, partition, size, error) for every replica."""
    rows = []
    for broker in result:
        for d in broker.get("log_dirs", []):
            err = error_text(d.get("error_code", 0))
            for t in d.get("topics", []):
                if topics and t["name"] not in topics:
                    continue
                for p in t.get("partitions", []):
                    rows.append(
                        (
                            broker["broker"],
                            d["log_dir"],
                            t["name"],
                            p["partition_index"],
                            p["partition_size"],
                            err,
                        )
                    )
    return rows


def aggregate(rows: list[tuple], into: str) -> tuple[list[str], list[list]]:
    if into == "":
        return ["broker", "dir", "topic", "partition", "size", "error"], [list(r) for r in rows]
    width = {"broker": 1, "dir": 2, "topic": 3}[into]
    sums: dict = defaultdict(int)
    errors: dict = {}
    for r in rows:
        key = (r[2],) if into == "topic" else r[:width]
        sums[key] += r[4]
        errors[key] = errors.get(key) or r[5]
    heads = {"broker": ["broker"], "dir": ["broker", "dir"], "topic": ["topic"]}[into]
    return heads + ["size", "error"], [[*k, v, errors[k]] for k, v in sums.items()]


@with_globals
@kc.kafka_command
def logdirs_describe(
    broker: Annotated[
        int, typer.Option("-b", "--broker", help="Broker to describe (-1 = all).", metavar="int32")
    ] = -1,
    topics: Annotated[
        Optional[list[str]],
        typer.Option("--topics", help="Topics to describe (comma separated).", metavar="strings"),
    ] = None,
    sort_by_size: Annotated[
        bool, typer.Option("--sort-by-size", help="Sort by size, largest first.")
    ] = False,
    aggregate_into: Annotated[
        str, typer.Option("--aggregate-into", help="Aggregate sizes into broker, dir or topic.")
    ] = "",
    human_readable: Annotated[
        bool, typer.Option("-H", "--human-readable", help="Print sizes in human units.")
    ] = False,
) -> None:
    """Describe log directories on brokers."""
    if aggregate_into and aggregate_into not in AGGREGATES:
        raise UsageError(f"invalid --aggregate-into {aggregate_into!r}: use broker, dir or topic")
    wanted = {t for item in topics or [] for t in item.split(",") if t}
    with kc.admin_session(options.params()) as admin:
        result = admin.describe_log_dirs(brokers=None if broker < 0 else [broker])
    headers, rows = aggregate(flatten(result, wanted), aggregate_into)
    size_col = headers.index("size")
    rows.sort(
        key=lambda r: (
            (-r[size_col],) if sort_by_size else tuple(str(c).zfill(10) for c in r[:size_col])
        )
    )
    if human_readable:
        for r in rows:
            r[size_col] = human(r[size_col])
    print_table(headers, rows)


def register(app: typer.Typer) -> None:
    group = new_group("logdirs", "Describe log directories on Redpanda brokers.")
    group.command("describe")(logdirs_describe)
    app.add_typer(group, name="logdirs")
