"""Helpers shared by the topic commands: metadata views, regex selection, status cells."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import kafka.errors as kerr

from cli.errors import UsageError


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
