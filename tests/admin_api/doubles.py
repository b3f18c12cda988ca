"""Test doubles for what core/app.py supplies: the controller and the AdminServices object.

`ControllerDouble` keeps committed commands in a list and applies them synchronously, as the real
controller does once a command commits. It is not shipped; the real one is core.cluster.controller.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from admin_api.models import Broker, MaintenanceStatus, Partition, Replica
from core.cluster.config_frontend import ClusterConfigFrontend
from core.config.cluster_properties import ClusterConfigStore
from core.security.users import UserFrontend


class ControllerDouble:
    def __init__(self, log: list[tuple[str, dict]] | None = None) -> None:
        self.log: list[tuple[str, dict]] = log if log is not None else []
        self._appliers: dict[str, Callable[[dict], None]] = {}

    def register(self, command_type: str, apply_fn: Callable[[dict], None]) -> None:
        assert command_type not in self._appliers
        self._appliers[command_type] = apply_fn

    def replay(self) -> None:
        for command_type, payload in self.log:
            self._appliers[command_type](copy.deepcopy(payload))

    async def submit(self, command_type: str, payload: dict) -> int:
        self.log.append((command_type, copy.deepcopy(payload)))
        self._appliers[command_type](copy.deepcopy(payload))
        return len(self.log) - 1


@dataclass
class ServicesDouble:
    """A one-node cluster: node 0 leads every partition of topic "orders" (3 partitions)."""

    controller: ControllerDouble = field(default_factory=ControllerDouble)
    node_id: int = 0
    node_config: dict[str, Any] = field(default_factory=lambda: {"data_directory": "/tmp/x"})
    ready: bool = True
    draining: bool = False

    def __post_init__(self) -> None:
        self.cluster_config = ClusterConfigStore()
        self.config_frontend = ClusterConfigFrontend(
            self.controller, self.cluster_config, self.node_id
        )
        self.users = UserFrontend(self.controller)
        self.controller.replay()
        self.cluster_config.mark_booted()

    def is_ready(self) -> bool:
        return self.ready

    def controller_id(self) -> int:
        return 0

    def brokers(self) -> list[Broker]:
        return [
            Broker(
                node_id=0,
                num_cores=1,
                internal_rpc_address="127.0.0.1",
                internal_rpc_port=33145,
                maintenance_status=MaintenanceStatus(
                    draining=self.draining, finished=self.draining
                ),
            )
        ]

    def partitions(self) -> list[Partition]:
        controller = Partition("redpanda", "controller", 0, 0, 0, [Replica(0)])
        return [controller] + [
            Partition("kafka", "orders", i, i + 1, 0, [Replica(0)]) for i in range(3)
        ]

    async def set_maintenance(self, node_id: int, enabled: bool) -> None:
        if node_id != 0:
            raise KeyError(node_id)
        self.draining = enabled
