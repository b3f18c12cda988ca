"""`rpk group seek`: move a group's committed offsets (start, end, a timestamp, a file or another group)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from cli import options
from cli.clients import kafka as kc
from cli.clients.offsets import offsets_for_time, watermarks
from cli.commands.group._common import offset_of
from cli.commands.group.delete import _status
from cli.errors import CliError, UsageError
from cli.options import with_globals
from cli.output import print_table
from cli.views import read_offsets_file, topic_views


def parse_to(to: str) -> tuple[str, int]:
    """('start'|'end', 0) or ('timestamp', unix ms) from --to (unix s, ms or ns: 10, 13, 19 digits)."""
    if to in ("start", "end"):
        return to, 0
    try:
        value = int(to, 10)
    except ValueError:
        raise CliError(
            f'unable to parse millisecond "{to}": strconv.ParseInt: parsing "{to}": invalid syntax'
        ) from None
    scale = {10: 1000, 13: 1, 19: 0}.get(len(to))
    if scale is None:
        raise CliError(
            f'--to timestamp "{to}" is not a second, nor a millisecond, nor a nanosecond'
        )
    return "timestamp", value * scale if scale else value // 1_000_000


def _partitions(admin, topics: list[str]) -> list[TopicPartition]:
    return [
        TopicPartition(v.name, p.partition)
        for v in topic_views(admin.describe_topics(topics))
        if not v.error
        for p in v.partitions
    ]


def _targets(
    admin, to: str | None, to_group: str | None, to_file: Path | None, tps: list[TopicPartition]
) -> dict:
    if to_file is not None:
        return read_offsets_file(to_file)
    if to_group is not None:
        other = admin.list_group_offsets({to_group: None}).get(to_group, {})
        return {
            tp: offset_of(m)
            for tp, m in other.items()
            if offset_of(m) is not None and (not tps or tp in tps)
        }
    kind, ms = parse_to(to or "")
    marks = watermarks(admin, tps)
    if kind == "timestamp":
        found = offsets_for_time(admin, tps, ms)
        return {tp: found[tp] if found[tp] is not None else marks[tp][1] for tp in tps}
    return {tp: marks[tp][0] if kind == "start" else marks[tp][1] for tp in tps}


@with_globals
@kc.kafka_command
def group_seek(
    group: Annotated[str, typer.Argument(help="Group to seek.")],
    to: Annotated[
        Optional[str], typer.Option("--to", help="start, end, or a unix timestamp (s, ms or ns).")
    ] = None,
    to_group: Annotated[
        Optional[str], typer.Option("--to-group", help="Seek to another group's committed offsets.")
    ] = None,
    to_file: Annotated[
        Optional[Path], typer.Option("--to-file", help="File of 'topic partition offset' lines.")
    ] = None,
    topics: Annotated[
        Optional[list[str]],
        typer.Option(
            "--topics", help="Only seek these topics (comma separated).", metavar="strings"
        ),
    ] = None,
    allow_new_topics: Annotated[
        bool,
        typer.Option(
            "--allow-new-topics", help="Allow seeking topics the group has no commits for."
        ),
    ] = False,
) -> None:
    """Modify a group's current offsets."""
    given = sum(x is not None for x in (to, to_group, to_file))
    if given != 1:
        raise CliError(
            "Must specify one --to flag." if not given else "Cannot specify multiple --to flags."
        )
    wanted = [t for item in topics or [] for t in item.split(",") if t]
    with kc.admin_session(options.params()) as admin:
        description = admin.describe_groups([group]).get(group) or {}
        committed = admin.list_group_offsets({group: None}).get(group, {})
        new_topics = set(wanted) - {tp.topic for tp in committed}
        if new_topics and not allow_new_topics:
            raise UsageError(
                f"group has no commits for {sorted(new_topics)}; use --allow-new-topics"
            )
        tps = _partitions(admin, wanted or sorted({tp.topic for tp in committed}))
        targets = _targets(admin, to, to_group, to_file, tps)
        if not targets:
            return
        if description.get("members"):  # the broker would refuse each commit (UNKNOWN_MEMBER_ID)
            results = {tp: NON_EMPTY for tp in targets}
        else:
            results = admin.alter_group_offsets(
                group, {tp: OffsetAndMetadata(off, "", -1) for tp, off in targets.items()}
            )
    _print_seek(committed, targets, results)


NON_EMPTY = "INVALID_OPERATION: seeking a non-empty group is not allowed."


def _print_seek(committed: dict, targets: dict, results: dict) -> None:
    """rpk's table: prior -1 when never committed; with errors every offset column reads -1
    (rpk prints its error rows that way) and the exit status stays 0."""
    errors = {tp: _error_text(results.get(tp)) for tp in targets}
    failed = any(errors.values())
    rows = []
    for tp in sorted(targets):
        prior = offset_of(committed.get(tp))
        prior = -1 if prior is None else prior
        if failed:
            rows.append([tp.topic, tp.partition, -1, -1, errors[tp]])
        else:
            rows.append([tp.topic, tp.partition, prior, targets[tp]])
    headers = ["topic", "partition", "prior-offset", "current-offset"] + (
        ["error"] if failed else []
    )
    print_table(headers, rows)


def _error_text(result) -> str:
    if result == NON_EMPTY:
        return result
    status = _status(result)
    if "UNKNOWN_MEMBER_ID" in status:
        return NON_EMPTY
    return "" if status == "OK" else status


def register(app: typer.Typer) -> None:
    app.command("seek", short_help="Modify a group's current offsets")(group_seek)
