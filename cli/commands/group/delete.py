"""`rpk group delete` and `rpk group offset-delete`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import kafka.errors as kerr
import typer
from kafka import TopicPartition

from cli import options
from cli.clients import kafka as kc
from cli.errors import PartialFailure, UsageError
from cli.options import with_globals
from cli.output import print_table
from cli.views import error_text


def _status(error: object) -> str:
    """'OK' for None/NoError; the Kafka error name otherwise (class, instance or class name)."""
    if error is None:
        return "OK"
    if isinstance(error, str):  # kafka-python 3 names the error class, e.g. 'GroupIdNotFoundError'
        cls = getattr(kerr, error, None)
        if not (isinstance(cls, type) and issubclass(cls, kerr.KafkaError)):
            return error
    else:
        cls = error if isinstance(error, type) else type(error)
    return error_text(getattr(cls, "errno", 0) or 0) or "OK"


@with_globals
@kc.kafka_command
def group_delete(groups: Annotated[list[str], typer.Argument(help="Groups to delete.")]) -> None:
    """Delete groups from brokers."""
    with kc.admin_session(options.params()) as admin:
        results = admin.delete_groups(groups)
    pairs = results.items() if isinstance(results, dict) else results
    rows = sorted([group, _status(err)] for group, err in pairs)
    print_table(["group", "status"], rows)  # per-group errors: rpk exits 0


def parse_topic_partitions(items: list[str]) -> list[TopicPartition]:
    """`topic:0,1,2` (or `topic` alone, meaning every committed partition) per item."""
    out = []
    for item in items:
        topic, sep, parts = item.partition(":")
        if not topic:
            raise UsageError(f"invalid --topic {item!r}: expected topic:0,1,2")
        if not sep:
            out.append(TopicPartition(topic, -1))
            continue
        for p in parts.split(","):
            if not p.strip().isdigit():
                raise UsageError(f"invalid partition {p!r} in {item!r}")
            out.append(TopicPartition(topic, int(p)))
    return out


@with_globals
@kc.kafka_command
def group_offset_delete(
    group: Annotated[str, typer.Argument(help="Group whose committed offsets to delete.")],
    from_file: Annotated[
        Optional[Path], typer.Option("-f", "--from-file", help="File of 'topic partition' lines.")
    ] = None,
    topic: Annotated[
        Optional[list[str]],
        typer.Option(
            "-t", "--topic", help="topic:0,1,2 (or a topic for all partitions); repeatable."
        ),
    ] = None,
) -> None:
    """Delete committed offsets for a group's partitions."""
    if bool(from_file) == bool(topic):
        raise UsageError("use exactly one of --from-file or --topic")
    tps = (
        list(read_offsets_file_two(from_file)) if from_file else parse_topic_partitions(topic or [])
    )
    with kc.admin_session(options.params()) as admin:
        if any(tp.partition < 0 for tp in tps):
            committed = admin.list_group_offsets({group: None}).get(group, {})
            whole = {tp.topic for tp in tps if tp.partition < 0}
            tps = [tp for tp in tps if tp.partition >= 0] + [
                tp for tp in committed if tp.topic in whole
            ]
        results = admin.delete_group_offsets(group, tps)
    rows = [[tp.topic, tp.partition, _status(err)] for tp, err in sorted(results.items())]
    print_table(["topic", "partition", "status"], rows)
    if any(r[2] != "OK" for r in rows):
        raise PartialFailure()


def read_offsets_file_two(path: Path) -> list[TopicPartition]:
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    bad = [f for f in lines if len(f) != 2 or not f[1].isdigit()]
    if bad:
        raise UsageError(f"{path}: expected 'topic partition' lines")
    return [TopicPartition(f[0], int(f[1])) for f in lines]


def register(app: typer.Typer) -> None:
    app.command("delete", short_help="Delete groups from brokers")(group_delete)
    app.command("offset-delete", short_help="Delete offsets for a kafka group")(group_offset_delete)
