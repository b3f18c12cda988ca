"""Views shared by the rpk command groups (topic, cluster, group): topic metadata views,
their tables, regex selection, status cells, offsets files. The command groups under
cli/commands never import each other; what two of them share lives here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import kafka.errors as kerr
from kafka import TopicPartition

from cli.errors import UsageError
from cli.output import format_table


@dataclass
class PartitionView:
    partition: int
    leader: int
    epoch: int
    replicas: list[int]
    offline: list[int] = field(default_factory=list)
    error: str = ""


@dataclass
class TopicView:
    name: str
    internal: bool
    partitions: list[PartitionView]
    error: str = ""

    @property
    def replicas(self) -> int:
        return len(self.partitions[0].replicas) if self.partitions else 0


def error_text(code: int, message: str | None = None) -> str:
    """'' for no error, else Kafka's name plus the message (rpk's status cells)."""
    if not code:
        return ""
    cls = kerr.for_code(code)
    name = getattr(cls, "message", None) or cls.__name__
    detail = message or getattr(cls, "description", "") or ""
    return f"{name}: {detail}" if detail else name


def status(code: int, message: str | None = None) -> str:
    return error_text(code, message) or "OK"


def topic_views(raw_topics: list[dict]) -> list[TopicView]:
    views = []
    for t in raw_topics:
        parts = [
            PartitionView(
                partition=p.get("partition_index", p.get("partition", 0)),
                leader=p.get("leader_id", p.get("leader", -1)),
                epoch=p.get("leader_epoch", -1),
                replicas=list(p.get("replica_nodes", p.get("replicas", [])) or []),
                offline=list(p.get("offline_replicas", []) or []),
                error=error_text(p.get("error_code", 0)),
            )
            for p in t.get("partitions", []) or []
        ]
        parts.sort(key=lambda pv: pv.partition)
        views.append(
            TopicView(
                name=t.get("name", t.get("topic", "")),
                internal=bool(t.get("is_internal", False)),
                partitions=parts,
                error=error_text(t.get("error_code", 0)),
            )
        )
    return sorted(views, key=lambda v: v.name)


def compile_patterns(patterns: list[str]) -> list[re.Pattern]:
    out = []
    for pattern in patterns:
        try:
            out.append(re.compile(pattern))
        except re.error as exc:
            raise UsageError(f"invalid regular expression {pattern!r}: {exc}") from None
    return out


def match_regex(names: list[str], patterns: list[str], include_internal: bool = False) -> list[str]:
    """Names matching any pattern (Go regexp MatchString semantics: unanchored unless ^/$ given)."""
    compiled = compile_patterns(patterns)
    return sorted(
        n
        for n in names
        if (include_internal or not n.startswith("__")) and any(rx.search(n) for rx in compiled)
    )


def parse_kv_list(items: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"invalid {what} {item!r}: expected key=value")
        out[key.strip()] = value
    return out


def replicas_cell(replicas: list[int]) -> str:
    return "[" + " ".join(str(r) for r in replicas) + "]"


def summary_rows(views: list[TopicView]) -> list[list]:
    return [[v.name, len(v.partitions), v.replicas] for v in views]


def detailed_text(views: list[TopicView], cluster_info: bool = False) -> str:
    """rpk's per-partition view: `topic list -d` (printDetailedListView) or, with
    `cluster_info`, `cluster info -d` (PrintTopics). Each topic's table is nested under its
    line by a leading empty column (tabwriter pads it to the minimum width, 6); the epoch,
    offline replicas and load error columns appear only when a partition has one."""
    blocks = []
    for v in views:
        head = v.name + (" (internal)" if v.internal else "") + f", {len(v.partitions)} partitions"
        if v.partitions or not cluster_info:
            head += f", {v.replicas} replicas"
        blocks.append(f"{head}\n{_partition_table(v, cluster_info)}")
    return "\n\n".join(blocks)


def _partition_table(v: TopicView, cluster_info: bool) -> str:
    use_epoch = any(p.epoch != -1 for p in v.partitions)
    use_offline = any(p.offline for p in v.partitions)
    use_err = any(p.error for p in v.partitions)
    sep = "-" if cluster_info else "_"
    headers = ["", "partition", "leader", *(["epoch"] if use_epoch else []), "replicas"]
    headers += [f"offline{sep}replicas"] if use_offline else []
    headers += [f"load{sep}error"] if use_err else []
    rows = []
    for p in sorted(v.partitions, key=lambda p: p.partition):
        row: list = ["", p.partition, p.leader]
        if use_epoch:  # topic list keeps 0 for a partition without an epoch
            row.append(p.epoch if cluster_info or p.epoch != -1 else 0)
        row.append(replicas_cell(sorted(p.replicas)))
        if use_offline:
            row.append(replicas_cell(sorted(p.offline)))
        if use_err:
            row.append(p.error or ("-" if cluster_info else ""))
        rows.append(row)
    return format_table(headers, rows)


def select(
    views: list[TopicView], topics: list[str], regex: bool, internal: bool
) -> list[TopicView]:
    if regex and topics:
        wanted = set(match_regex([v.name for v in views], topics, include_internal=internal))
        return [v for v in views if v.name in wanted]
    if topics:
        return [v for v in views if v.name in set(topics)]
    return [v for v in views if internal or not v.internal]


def read_offsets_file(path: Path) -> dict[TopicPartition, int]:
    """Lines of `topic partition offset`."""
    out = {}
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise UsageError(f"unable to read {path}: {exc.strerror}") from None
    for n, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3 or not fields[1].isdigit() or not fields[2].lstrip("-").isdigit():
            raise UsageError(f"{path}:{n}: expected 'topic partition offset'")
        out[TopicPartition(fields[0], int(fields[1]))] = int(fields[2])
    return out
