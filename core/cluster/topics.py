"""Topics frontend: validates topic operations and submits them to the controller.

New partitions get their replicas here, on the submitting node (core.cluster.placement over
the controller's members, racks counted when `enable_rack_awareness` is on at that moment;
explicit CreateTopics/CreatePartitions assignments are validated instead), so the command
carries them and every node applies the same assignment. The
replication factor must be odd and at most the number of members.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from core.cluster import placement, topic_config
from core.cluster.controller import Controller
from core.cluster.errors import ClusterErrc, ClusterError

_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")
MAX_TOPIC_NAME_CHARS = 249
MAX_PARTITIONS_PER_TOPIC = 10_000
CREATE_TOPIC_TIMEOUT = "create_topic_timeout_ms"
MAX_CREATE_TOPIC_TIMEOUT_MS = 600_000


def create_topic_timeout_s(get: Callable[[str], Any], factor: int = 1) -> float:
    """`create_topic_timeout_ms` (read now through `get`) times `factor`, in seconds, bounded
    to [1 ms, 10 min]: how long the creation of an internal topic on demand waits for the
    controller, as Redpanda's callers of autocreate_topics bound it."""
    timeout_ms = int(get(CREATE_TOPIC_TIMEOUT)) * max(factor, 1)
    return min(max(timeout_ms, 1), MAX_CREATE_TOPIC_TIMEOUT_MS) / 1000


def validate_topic_name(name: str) -> None:
    if not name or name in (".", ".."):
        raise ClusterError(ClusterErrc.invalid_topic_name, "topic name is empty or '.'/'..'")
    if len(name) > MAX_TOPIC_NAME_CHARS:
        raise ClusterError(
            ClusterErrc.invalid_topic_name, f"topic name longer than {MAX_TOPIC_NAME_CHARS}"
        )
    if not _NAME.match(name):
        raise ClusterError(
            ClusterErrc.invalid_topic_name,
            f"topic name {name!r} has characters other than ASCII alphanumerics, '.', '_' and '-'",
        )


Assignments = Sequence[Sequence[int]]


class TopicsFrontend:
    def __init__(self, controller: Controller, cluster_config) -> None:
        self.controller = controller
        self.cluster_config = cluster_config
        self._creating: set[str] = set()  # names submitted to the controller, not yet applied

    @property
    def table(self):
        return self.controller.topics

    def nodes(self) -> list[placement.Node]:
        """Where replicas may go: the members (this node alone before it registered)."""
        members = self.controller.members.all()
        if not members:
            return [placement.Node(self.controller.node_id)]
        return [placement.Node(m.node_id, m.rack) for m in members]

    @property
    def brokers_count(self) -> int:
        return len(self.nodes())

    def _place(self, partitions: int, rf: int, first_index: int) -> list[tuple[int, ...]]:
        replicas, leaders = self.table.replica_counts()
        rack_aware = placement.rack_awareness(self.cluster_config.get)
        return placement.place(
            self.nodes(), partitions, rf, replicas, leaders, first_index, rack_aware=rack_aware
        )

    def _validate_assignments(
        self, assignments: Assignments, partitions: int | None
    ) -> list[tuple[int, ...]]:
        return placement.validate(assignments, [n.node_id for n in self.nodes()], partitions)

    def check_create(
        self,
        name: str,
        partitions: int,
        replication_factor: int,
        configs: dict[str, str | None],
        assignments: Assignments | None = None,
    ) -> tuple[int, int, dict[str, str]]:
        """Validate a create request; returns the resolved (partitions, rf, configs).
        With explicit `assignments`, partitions and rf must be -1 (Kafka's rule) and come
        from them."""
        validate_topic_name(name)
        if assignments:
            if partitions != -1 or replication_factor != -1:
                raise ClusterError(
                    ClusterErrc.invalid_partitions,
                    "with a replica assignment, partitions and replication factor must be -1",
                )
            checked = self._validate_assignments(assignments, None)
            partitions, replication_factor = len(checked), len(checked[0])
        if self.table.get(name) is not None or name in self._creating:
            raise ClusterError(ClusterErrc.topic_already_exists, f"topic {name!r} already exists")
        if partitions == -1:
            partitions = int(self.cluster_config.get("default_topic_partitions"))
        if replication_factor == -1:
            replication_factor = int(self.cluster_config.get("default_topic_replications"))
        if not 1 <= partitions <= MAX_PARTITIONS_PER_TOPIC:
            raise ClusterError(
                ClusterErrc.invalid_partitions,
                f"partition count must be between 1 and {MAX_PARTITIONS_PER_TOPIC}",
            )
        if replication_factor < 1 or replication_factor % 2 == 0:
            raise ClusterError(
                ClusterErrc.invalid_replication_factor, "replication factor must be odd"
            )
        if replication_factor > self.brokers_count:
            raise ClusterError(
                ClusterErrc.invalid_replication_factor,
                f"replication factor {replication_factor} exceeds the {self.brokers_count} "
                "available brokers",
            )
        return partitions, replication_factor, topic_config.validate(configs)

    async def create_topic(
        self,
        name: str,
        partitions: int = -1,
        replication_factor: int = -1,
        configs: dict[str, str | None] | None = None,
        assignments: Assignments | None = None,
    ) -> str:
        """Create a topic; returns its topic id. Raises ClusterError (topic_already_exists
        when another creation of the name, submitted elsewhere, was applied first)."""
        partitions, rf, clean = self.check_create(
            name, partitions, replication_factor, configs or {}, assignments
        )
        if assignments:
            placed = self._validate_assignments(assignments, partitions)
        else:
            placed = self._place(partitions, rf, 0)
        topic_id = str(uuid.uuid4())
        self._creating.add(name)
        try:
            await self.controller.submit(
                "create_topic",
                {
                    "name": name,
                    "topic_id": topic_id,
                    "partitions": partitions,
                    "replication_factor": rf,
                    "configs": clean,
                    "assignments": [list(a) for a in placed],
                },
            )
        finally:
            self._creating.discard(name)
        created = self.table.get(name)
        if created is None or created.topic_id != topic_id:
            raise ClusterError(ClusterErrc.topic_already_exists, f"topic {name!r} already exists")
        return topic_id

    async def delete_topic(self, name: str) -> None:
        if self.table.get(name) is None:
            raise ClusterError(ClusterErrc.topic_not_found, f"topic {name!r} does not exist")
        await self.controller.submit("delete_topic", {"name": name})

    def check_create_partitions(self, name: str, count: int) -> None:
        meta = self.table.get(name)
        if meta is None:
            raise ClusterError(ClusterErrc.topic_not_found, f"topic {name!r} does not exist")
        if count <= meta.partitions:
            raise ClusterError(
                ClusterErrc.invalid_partitions,
                f"topic {name!r} has {meta.partitions} partitions; the new count must be larger",
            )
        if count > MAX_PARTITIONS_PER_TOPIC:
            raise ClusterError(
                ClusterErrc.invalid_partitions, f"at most {MAX_PARTITIONS_PER_TOPIC} partitions"
            )

    async def create_partitions(
        self, name: str, count: int, assignments: Assignments | None = None
    ) -> None:
        """Grow `name` to `count` partitions; `assignments` (one per new partition) or
        placement decide where the new ones go."""
        self.check_create_partitions(name, count)
        meta = self.table.get(name)
        assert meta is not None, "checked above"
        added = count - meta.partitions
        if assignments:
            placed = self._validate_assignments(assignments, added)
        else:
            rf = len(meta.assignments[0]) if meta.assignments else meta.replication_factor
            placed = self._place(added, rf, meta.partitions)
        await self.controller.submit(
            "create_partitions",
            {"name": name, "count": count, "assignments": [list(a) for a in placed]},
        )

    def check_configs(self, name: str, configs: dict[str, str]) -> dict[str, str]:
        if self.table.get(name) is None:
            raise ClusterError(ClusterErrc.topic_not_found, f"topic {name!r} does not exist")
        return topic_config.validate(configs)

    async def set_configs(self, name: str, configs: dict[str, str]) -> None:
        """Replace the topic's overrides with `configs` (AlterConfigs semantics)."""
        clean = self.check_configs(name, configs)
        await self.controller.submit("update_topic_config", {"name": name, "configs": clean})

    async def update_configs(self, name: str, set_: dict[str, str], delete: list[str]) -> None:
        """IncrementalAlterConfigs: set some keys, delete others, keep the rest."""
        meta = self.table.get(name)
        if meta is None:
            raise ClusterError(ClusterErrc.topic_not_found, f"topic {name!r} does not exist")
        merged = {k: v for k, v in meta.configs.items() if k not in delete}
        merged.update(self.check_configs(name, set_))
        topic_config.validate({k: None for k in delete})
        await self.controller.submit("update_topic_config", {"name": name, "configs": merged})
