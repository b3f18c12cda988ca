"""`rpk topic trim-prefix` (DeleteRecords): move the log start offset forward."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import kafka.errors as kerr
import typer
from kafka import TopicPartition

from cli import options
from cli._app import add_command
from cli.clients import kafka as kc
from cli.clients.offsets import offsets_for_time, watermarks
from cli.commands.topic.consume import parse_partitions
from cli.errors import NotFound, PartialFailure, UsageError
from cli.options import with_globals
from cli.output import print_table
from cli.records.offsets import parse_offset, resolve
from cli.views import error_text, read_offsets_file, topic_views


def _targets(
    admin, topic: str | None, offset: str | None, partitions: list[int], from_file: Path | None
):
    if from_file is not None:
        return read_offsets_file(from_file)
    if not topic or offset is None:
        raise UsageError("trim-prefix needs a TOPIC and --offset, or --from-file")
    spec = parse_offset(offset)
    if spec.end is not None or spec.start.kind not in ("end", "exact", "timestamp"):
        raise UsageError("--offset must be end, an offset N or @timestamp")
    views = topic_views(admin.describe_topics([topic]))
    if not views or views[0].error:
        raise NotFound(f'UNKNOWN_TOPIC_OR_PARTITION: topic "{topic}" does not exist')
    tps = [
        TopicPartition(topic, p.partition)
        for p in views[0].partitions
        if not partitions or p.partition in partitions
    ]
    if spec.start.kind == "exact":
        # Sent as given: the broker refuses an offset past the high watermark
        # (OFFSET_OUT_OF_RANGE) rather than rpk clamping it and deleting everything.
        return {tp: spec.start.value for tp in tps}
    marks = watermarks(admin, tps)
    times = offsets_for_time(admin, tps, spec.start.value) if spec.start.kind == "timestamp" else {}
    return {tp: resolve(spec.start, *marks[tp], times.get(tp)) for tp in tps}


@with_globals
@kc.kafka_command
def topic_trim_prefix(
    topic: Annotated[Optional[str], typer.Argument(help="Topic to trim.")] = None,
    offset: Annotated[
        Optional[str],
        typer.Option("-o", "--offset", help="New log start offset: end, N or @timestamp."),
    ] = None,
    partitions: Annotated[
        Optional[list[str]],
        typer.Option(
            "-p",
            "--partitions",
            help="Comma-separated partitions to trim (default all).",
            metavar="int32Slice",
        ),
    ] = None,
    from_file: Annotated[
        Optional[Path],
        typer.Option("-f", "--from-file", help="File of 'topic partition offset' lines."),
    ] = None,
    no_confirm: Annotated[
        bool, typer.Option("--no-confirm", help="Skip the confirmation prompt.")
    ] = False,
) -> None:
    """Trim records from the start of partitions (DeleteRecords)."""
    with kc.admin_session(options.params()) as admin:
        targets = _targets(admin, topic, offset, parse_partitions(partitions), from_file)
        before = watermarks(admin, list(targets))
        rows = [[tp.topic, tp.partition, before[tp][0], off] for tp, off in sorted(targets.items())]
        print_table(["topic", "partition", "prior-start-offset", "new-start-offset"], rows)
        if not no_confirm and not typer.confirm("Confirm deletion of records?", default=False):
            typer.echo("Command execution canceled.")
            return
        result = {tp: _delete_one(admin, tp, off) for tp, off in targets.items()}
    out = [_result_row(tp, result.get(tp)) for tp in sorted(targets)]
    print_table(["topic", "partition", "new-start-offset", "error"], out)
    if any(row[3] for row in out):
        raise PartialFailure()


def _delete_one(admin, tp: TopicPartition, offset: int):
    """DeleteRecords for one partition; a partition error becomes that row's error (the
    client raises on any error, which would hide the other partitions' results)."""
    try:
        return admin.delete_records({tp: offset})[tp]
    except kerr.BrokerResponseError as exc:
        return {"error_code": exc.errno, "low_watermark": -1}


def _result_row(tp: TopicPartition, meta) -> list:
    if isinstance(meta, dict):
        error = meta.get("error_code", 0)
        low = meta.get("low_watermark", -1)
    else:
        error, low = getattr(meta, "error_code", 0), getattr(meta, "low_watermark", -1)
    return [tp.topic, tp.partition, low, error_text(error)]


def register(app: typer.Typer) -> None:
    add_command(app, topic_trim_prefix, "trim-prefix", aliases=("trim",))
