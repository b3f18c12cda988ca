"""Topics frontend: validates topic operations and submits them to the controller."""

from __future__ import annotations

import re
import uuid

from core.cluster import topic_config
from core.cluster.controller import Controller
from core.cluster.errors import ClusterErrc, ClusterError

_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")
MAX_TOPIC_NAME_CHARS = 249
MAX_PARTITIONS_PER_TOPIC = 10_000


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


class TopicsFrontend:
    def __init__(self, controller: Controller, cluster_config, brokers_count: int = 1) -> None:
        self.controller = controller
        self.cluster_config = cluster_config
        self.brokers_count = brokers_count
        self._creating: set[str] = set()  # names submitted to the controller, not yet applied

    @property
    def table(self):
        return self.controller.topics

    def check_create(
        self, name: str, partitions: int, replication_factor: int, configs: dict[str, str | None]
    ) -> tuple[int, int, dict[str, str]]:
        """Validate a create request; returns the resolved (partitions, rf, configs)."""
        validate_topic_name(name)
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
    ) -> str:
        """Create a topic; returns its topic id. Raises ClusterError."""
        partitions, rf, clean = self.check_create(
            name, partitions, replication_factor, configs or {}
        )
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
                },
            )
        finally:
            self._creating.discard(name)
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

    async def create_partitions(self, name: str, count: int) -> None:
        self.check_create_partitions(name, count)
        await self.controller.submit("create_partitions", {"name": name, "count": count})

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
