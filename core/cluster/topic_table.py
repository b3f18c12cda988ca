"""The controller's topic table: what topics exist, with their partitions and configs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

INTERNAL_TOPICS = frozenset({"__consumer_offsets", "_schemas", "__transaction_state"})


@dataclass(slots=True)
class TopicMeta:
    name: str
    topic_id: str
    replication_factor: int
    configs: dict[str, str]
    partition_revisions: list[int] = field(
        default_factory=list
    )  # controller offset that created each

    @property
    def partitions(self) -> int:
        return len(self.partition_revisions)

    @property
    def is_internal(self) -> bool:
        return self.name in INTERNAL_TOPICS


TopicListener = Callable[
    [str, TopicMeta], None
]  # (event, topic): created|deleted|partitions|config


class TopicTable:
    def __init__(self) -> None:
        self.topics: dict[str, TopicMeta] = {}
        self._by_id: dict[str, str] = {}
        self._listeners: list[TopicListener] = []

    def subscribe(self, fn: TopicListener) -> None:
        self._listeners.append(fn)

    def _emit(self, event: str, meta: TopicMeta) -> None:
        for fn in self._listeners:
            fn(event, meta)

    def get(self, name: str) -> TopicMeta | None:
        return self.topics.get(name)

    def by_id(self, topic_id: str) -> TopicMeta | None:
        name = self._by_id.get(topic_id)
        return self.topics.get(name) if name else None

    # ---- controller command appliers (called in log order) -----------------------------------
    def apply_create(self, payload: dict, offset: int) -> None:
        name = payload["name"]
        if name in self.topics:
            return
        meta = TopicMeta(
            name=name,
            topic_id=payload["topic_id"],
            replication_factor=payload["replication_factor"],
            configs=dict(payload.get("configs") or {}),
            partition_revisions=[offset] * payload["partitions"],
        )
        self.topics[name] = meta
        self._by_id[meta.topic_id] = name
        self._emit("created", meta)

    def apply_delete(self, payload: dict, offset: int) -> None:
        meta = self.topics.pop(payload["name"], None)
        if meta is not None:
            self._by_id.pop(meta.topic_id, None)
            self._emit("deleted", meta)

    def apply_create_partitions(self, payload: dict, offset: int) -> None:
        meta = self.topics.get(payload["name"])
        if meta is None or payload["count"] <= meta.partitions:
            return
        meta.partition_revisions.extend([offset] * (payload["count"] - meta.partitions))
        self._emit("partitions", meta)

    def apply_update_config(self, payload: dict, offset: int) -> None:
        meta = self.topics.get(payload["name"])
        if meta is None:
            return
        meta.configs = dict(payload["configs"])
        self._emit("config", meta)
