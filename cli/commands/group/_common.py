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
    instance: str | None = None  # the member's group.instance.id (static membership)
    error: str = ""  # the partition's offsets could not be listed (kerr's text)

    @property
    def lag(self) -> int:
        """kadm's lag: -1 on an error, else the end minus the commit (or the log start),
        never below 0 (a commit past the end counts 0)."""
        if self.error:
            return -1
        return max(0, self.log_end - (self.current if self.current is not None else self.log_start))


# franz-go's kerr texts (pkg/kerr/kerr.go) for the errors `group describe` can print
KERR_DESCRIPTIONS = {
    3: ("UNKNOWN_TOPIC_OR_PARTITION", "This server does not host this topic-partition."),
    5: (
        "LEADER_NOT_AVAILABLE",
        "There is no leader for this topic-partition as we are in the middle of a leadership "
        "election.",
    ),
    6: ("NOT_LEADER_FOR_PARTITION", "This server is not the leader for that topic-partition."),
    14: (
        "COORDINATOR_LOAD_IN_PROGRESS",
        "The coordinator is loading and hence can't process requests.",
    ),
    15: ("COORDINATOR_NOT_AVAILABLE", "The coordinator is not available."),
    16: ("NOT_COORDINATOR", "This is not the correct coordinator."),
    24: ("INVALID_GROUP_ID", "The configured groupID is invalid."),
    30: (
        "GROUP_AUTHORIZATION_FAILED",
        "Not authorized to access group: Group authorization failed.",
    ),
    69: ("GROUP_ID_NOT_FOUND", "The group id does not exist."),
}


def kerr_text(code: int) -> str:
    """kerr.Error's text for a Kafka error code: `NAME: description`."""
    if code in KERR_DESCRIPTIONS:
        return ": ".join(KERR_DESCRIPTIONS[code])
    import kafka.errors as kerr

    cls = kerr.for_code(code)
    name = getattr(cls, "message", None) or cls.__name__
    return f"{name}: {cls.description}" if getattr(cls, "description", "") else name


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


@dataclass(frozen=True)
class Owner:
    member: str
    instance: str | None
    client: str
    host: str


def member_index(description: dict) -> dict[TopicPartition, Owner]:
    """Which member owns each partition."""
    owners = {}
    for m in description.get("members") or []:
        owner = Owner(
            m.get("member_id", ""),
            m.get("group_instance_id"),
            m.get("client_id", ""),
            m.get("client_host", ""),
        )
        for tp in assigned_partitions(m.get("member_assignment")):
            owners[tp] = owner
    return owners


def subscribed_topics(description: dict) -> set[str]:
    """The topics members asked for when joining (decoded ConsumerProtocolSubscription)."""
    topics: set[str] = set()
    for m in description.get("members") or []:
        meta = m.get("member_metadata")
        found = meta.get("topics") if isinstance(meta, dict) else getattr(meta, "topics", None)
        topics |= {t for t in found or [] if isinstance(t, str)}
    return topics


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
