"""Shared consumer-group views: member assignments and per-partition lag rows."""

from __future__ import annotations

from dataclasses import dataclass

from kafka import TopicPartition


@dataclass
class LagRow:
    topic: str
    partition: int
    current: int | None  # committed offset; None = no commit
    log_start: int
    log_end: int
    member: str = ""
    client: str = ""
    host: str = ""

    @property
    def lag(self) -> int:
        return self.log_end - (self.current if self.current is not None else self.log_start)


def assigned_partitions(assignment: object) -> list[TopicPartition]:
    """Partitions of a decoded ConsumerProtocolAssignment (object or dict form)."""
    if assignment is None:
        return []
    parts = getattr(assignment, "partitions", None)
    if callable(parts):
        return list(parts())
    if isinstance(assignment, dict):
        out = []
        for item in assignment.get("assigned_partitions") or []:
            if isinstance(item, dict):
                out += [TopicPartition(item["topic"], p) for p in item.get("partitions", [])]
            elif isinstance(item, (tuple, list)) and len(item) == 2:
                out += [TopicPartition(item[0], p) for p in item[1]]
        return out
    return []


def member_index(description: dict) -> dict[TopicPartition, tuple[str, str, str]]:
    """Which member (id, client id, host) owns each partition."""
    owners = {}
    for m in description.get("members") or []:
        for tp in assigned_partitions(m.get("member_assignment")):
            owners[tp] = (m.get("member_id", ""), m.get("client_id", ""), m.get("client_host", ""))
    return owners


def offset_of(meta: object) -> int | None:
    value = getattr(meta, "offset", meta)
    return value if isinstance(value, int) and value >= 0 else None


def groups_by_broker(admin) -> list[tuple[int, dict]]:
    """(broker id, ListGroups entry) for every broker: a broker lists the groups it coordinates."""
    broker_ids = sorted(b["broker_id"] for b in admin.describe_cluster()["brokers"])
    return [
        (broker_id, g)
        for broker_id in broker_ids
        for g in admin.list_groups(broker_ids=[broker_id])
    ]
