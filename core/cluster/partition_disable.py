"""Disabled partitions (Redpanda's set_topic_partitions_disabled_cmd and its
topic_disabled_partitions_set).

The controller command `set_partitions_disabled` {topic, topic_id, partition|None, disabled}
is applied on every node: a whole topic (partition None) or one partition of it is disabled
or enabled again. A disabled partition keeps its data, but Produce and Fetch answer
REPLICA_NOT_AVAILABLE and Metadata lists it leaderless with that error (as Redpanda).
Entries are keyed by the topic's id as well as its name: a topic deleted and created again
under the same name starts fully enabled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.topic_table import INTERNAL_TOPICS

COMMAND = "set_partitions_disabled"


@dataclass(slots=True)
class TopicDisabled:
    """One topic's disabled set: `all` (every partition) or the listed ones."""

    topic_id: str
    all: bool = False
    partitions: set[int] = field(default_factory=set)

    def is_disabled(self, index: int) -> bool:
        return self.all or index in self.partitions

    def to_json(self) -> dict:
        return {"topic_id": self.topic_id, "all": self.all, "partitions": sorted(self.partitions)}


class DisabledPartitions:
    def __init__(self, controller) -> None:
        self._controller = controller
        self.topics: dict[str, TopicDisabled] = {}
        controller.register(COMMAND, self.apply)
        controller.register_state(
            "disabled_partitions", commands=(COMMAND,), snapshot=self.snapshot, restore=self.restore
        )

    def _current(self, topic: str) -> TopicDisabled | None:
        entry = self.topics.get(topic)
        meta = self._controller.topics.get(topic)
        if entry is None or meta is None or meta.topic_id != entry.topic_id:
            return None
        return entry

    def is_disabled(self, topic: str, partition: int) -> bool:
        entry = self.topics.get(topic) if self.topics else None
        return (
            entry is not None and entry.is_disabled(partition) and self._current(topic) is not None
        )

    def disabled_count(self, topic: str, partitions: int) -> int:
        entry = self._current(topic)
        return 0 if entry is None else sum(entry.is_disabled(i) for i in range(partitions))

    # ---- controller command ------------------------------------------------------------------
    def apply(self, payload: dict) -> None:
        topic, topic_id = str(payload["topic"]), str(payload["topic_id"])
        partition, disabled = payload.get("partition"), bool(payload["disabled"])
        meta = self._controller.topics.get(topic)
        if meta is None or meta.topic_id != topic_id:
            return  # the topic was deleted (and maybe created again) meanwhile
        entry = self._current(topic) or TopicDisabled(topic_id)
        if partition is None:
            entry.all, entry.partitions = disabled, set()
        elif disabled and not entry.all:
            entry.partitions.add(int(partition))
        elif not disabled:
            if entry.all:  # the rest of the topic stays disabled
                entry.all, entry.partitions = False, set(range(meta.partitions))
            entry.partitions.discard(int(partition))
        if entry.all or entry.partitions:
            self.topics[topic] = entry
        else:
            self.topics.pop(topic, None)

    def snapshot(self) -> dict:
        return {"topics": {name: e.to_json() for name, e in sorted(self.topics.items())}}

    def restore(self, state: dict) -> None:
        self.topics = {
            name: TopicDisabled(
                str(e["topic_id"]), bool(e["all"]), {int(p) for p in e["partitions"]}
            )
            for name, e in state.get("topics", {}).items()
        }

    async def submit(self, topic: str, partition: int | None, disabled: bool) -> None:
        """Disable or enable a topic (partition None) or one partition. KeyError: no such
        topic or partition; ValueError: an internal topic (Redpanda allows user topics only);
        RuntimeError: no controller leader; TimeoutError: the command was not applied in time."""
        if topic in INTERNAL_TOPICS:
            raise ValueError(f"partitions of internal topic {topic} may not be disabled")
        meta = self._controller.topics.get(topic)
        if meta is None:
            raise KeyError(f"Topic {topic} does not exist")
        if partition is not None and not 0 <= partition < meta.partitions:
            raise KeyError(f"Partition {topic}/{partition} does not exist")
        count = self.disabled_count(topic, meta.partitions)
        if partition is not None and self.is_disabled(topic, partition) == disabled:
            return  # no-op, as Redpanda
        if partition is None and count == (meta.partitions if disabled else 0):
            return
        payload = {"topic": topic, "topic_id": meta.topic_id, "disabled": disabled}
        payload["partition"] = partition
        try:
            await self._controller.submit(COMMAND, payload)
        except ClusterError as exc:  # the Admin API sees no cluster internals
            kind = TimeoutError if exc.errc is ClusterErrc.timeout else RuntimeError
            raise kind(str(exc)) from None
