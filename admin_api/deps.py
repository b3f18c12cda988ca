"""What the Admin API needs from the broker; core/app.py provides an object of this shape."""

from __future__ import annotations

from typing import Any, Protocol

from admin_api.models import Broker, Partition
from core.cluster.config_frontend import ClusterConfigFrontend
from core.config.cluster_properties import ClusterConfigStore
from core.security.users import UserFrontend


class AdminServices(Protocol):
    node_id: int
    node_config: dict[str, Any]
    cluster_config: ClusterConfigStore
    config_frontend: ClusterConfigFrontend
    users: UserFrontend

    def is_ready(self) -> bool:
        """True once the controller log is replayed and the Kafka listener accepts connections."""

    def controller_id(self) -> int:
        """Node id of the controller leader, -1 while there is none."""

    def brokers(self) -> list[Broker]:
        """Every cluster member, this node included, with its maintenance status."""

    def partitions(self) -> list[Partition]:
        """Every partition in the cluster, all namespaces ("kafka", "redpanda" for the controller)."""

    async def set_maintenance(self, node_id: int, enabled: bool) -> None:
        """Start or stop draining `node_id`; raises KeyError for an unknown node."""
