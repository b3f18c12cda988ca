"""What a handler sees of a request: its header, version and the broker's services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.protocol.codec import response_class


@dataclass(slots=True)
class Services:
    """The broker's services, built by the composition root (core.app)."""

    node_id: int
    advertised_kafka: tuple[str, int]
    cluster_id: str
    metadata: Any  # core.cluster.metadata.MetadataView
    topics: Any  # core.cluster.topics.TopicsFrontend
    partitions: Any  # core.cluster.partition_manager.PartitionManager
    cluster_config: Any  # core.config.cluster_properties.ClusterConfigStore
    producer_ids: Any  # core.cluster.id_allocator.ProducerIdAllocator
    controller: Any  # core.cluster.controller.Controller
    data_dir: Any  # pathlib.Path
    groups: Any = None  # core.groups.coordinator.GroupCoordinator
    config_frontend: Any = None  # core.cluster.config_frontend.ClusterConfigFrontend
    extras: dict = field(default_factory=dict)


@dataclass(slots=True)
class RequestContext:
    api_key: int
    api_version: int
    correlation_id: int
    header: Any
    services: Services
    peer: str

    @property
    def response_class(self) -> type:
        return response_class(self.api_key, self.api_version)

    @property
    def client_id(self) -> str | None:
        return getattr(self.header, "client_id", None)
