"""The controller's topic table: what topics exist, with their partitions, replica
assignments and configs.

Every partition has an assignment: the node ids holding a replica, the first being the
preferred leader. `create_topic` and `create_partitions` commands carry them (computed by
core.cluster.placement on the submitting side); a command written before assignments
existed (a single-node log) puts every partition on `default_node_id`, the node that wrote it.
"""

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
    assignments: list[tuple[int, ...]] = field(default_factory=list)  # replicas per partition

    @property
    def partitions(self) -> int:
        return len(self.partition_revisions)

    @property
    def is_internal(self) -> bool:
        return self.name in INTERNAL_TOPICS

    def replicas(self, partition: int) -> tuple[int, ...]:
        """The node ids holding partition `partition`, preferred leader first."""
        return self.assignments[partition]


TopicListener = Callable[
    [str, TopicMeta], None
]  # (event, topic): created|deleted|partitions|config|replicas


class TopicTable:
    def __init__(self, default_node_id: int = 0) -> None:
        self.default_node_id = default_node_id  # owner of partitions logged without assignments
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

    def replica_counts(self) -> tuple[dict[int, int], dict[int, int]]:
        """(replicas per node, preferred leaderships per node) over every partition."""
        replicas: dict[int, int] = {}
        leaders: dict[int, int] = {}
        for meta in self.topics.values():
            for nodes in meta.assignments:
                for node in nodes:
                    replicas[node] = replicas.get(node, 0) + 1
                if nodes:
                    leaders[nodes[0]] = leaders.get(nodes[0], 0) + 1
        return replicas, leaders

    def _assignments(self, payload: dict, count: int) -> list[tuple[int, ...]]:
        given = payload.get("assignments")
        if given is None:
            return [(self.default_node_id,)] * count
        assert len(given) == count, ("assignments for every new partition", payload)
        return [tuple(int(n) for n in nodes) for nodes in given]

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
            assignments=self._assignments(payload, payload["partitions"]),
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
        added = payload["count"] - meta.partitions
        meta.partition_revisions.extend([offset] * added)
        meta.assignments.extend(self._assignments(payload, added))
        self._emit("partitions", meta)

    def set_replicas(self, name: str, partition: int, replicas: tuple[int, ...]) -> None:
        """A finished (or force-cancelled) move: the partition's replicas are `replicas`
        (core.cluster.moves, in controller log order); listeners hear "replicas"."""
        meta = self.topics.get(name)
        if meta is None or not 0 <= partition < len(meta.assignments):
            return
        meta.assignments[partition] = tuple(replicas)
        self._emit("replicas", meta)

    def apply_update_config(self, payload: dict, offset: int) -> None:
        meta = self.topics.get(payload["name"])
        if meta is None:
            return
        meta.configs = dict(payload["configs"])
        self._emit("config", meta)

    # ---- controller snapshot hooks (core.cluster.controller_snapshot) ------------------------
    def snapshot(self) -> dict:
        """Every topic, as fresh JSON-ready data."""
        return {
            "topics": [
                {
                    "name": meta.name,
                    "topic_id": meta.topic_id,
                    "replication_factor": meta.replication_factor,
                    "configs": dict(meta.configs),
                    "partition_revisions": list(meta.partition_revisions),
                    "assignments": [list(nodes) for nodes in meta.assignments],
                }
                for meta in self.topics.values()
            ]
        }

    def restore(self, state: dict) -> None:
        """The table `snapshot` returned replaces this one; listeners hear "created" for
        each topic, as when the commands creating them apply."""
        self.topics, self._by_id = {}, {}
        for row in state["topics"]:
            meta = TopicMeta(
                name=row["name"],
                topic_id=row["topic_id"],
                replication_factor=int(row["replication_factor"]),
                configs=dict(row["configs"]),
                partition_revisions=[int(r) for r in row["partition_revisions"]],
                assignments=[tuple(int(n) for n in nodes) for nodes in row["assignments"]],
            )
            self.topics[meta.name] = meta
            self._by_id[meta.topic_id] = meta.name
            self._emit("created", meta)
