"""The broker's implementation of admin_api.deps.AdminServices (wired by core.app).

It is given the facades it reads, never the app: the node configuration, the controller (for
its leader), the partition manager (each partition through its facade), the cluster config
store and frontend, the user frontend, and a readiness probe.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from admin_api.models import Broker, DiskSpace, MaintenanceStatus, Partition, Replica
from core.cluster.config_frontend import ClusterConfigFrontend
from core.cluster.controller import CONTROLLER_GROUP_ID
from core.config.cluster_properties import ClusterConfigStore
from core.config.node import NodeConfig
from core.security.users import UserFrontend


class ControllerLeader(Protocol):
    @property
    def leader_id(self) -> int | None: ...


class RaftPartition(Protocol):
    """What the Admin API shows of a partition (core.cluster.partition.Partition)."""

    @property
    def topic(self) -> str: ...

    @property
    def index(self) -> int: ...

    @property
    def raft_group_id(self) -> int: ...

    @property
    def is_leader(self) -> bool: ...


class PartitionSource(Protocol):
    def all(self) -> Sequence[RaftPartition]: ...


class BrokerAdminServices:
    def __init__(
        self,
        *,
        node: NodeConfig,
        node_id: int,
        version: str,
        data_dir: Path,
        controller: ControllerLeader,
        partitions: PartitionSource,
        cluster_config: ClusterConfigStore,
        config_frontend: ClusterConfigFrontend,
        users: UserFrontend,
        is_ready: Callable[[], bool],
    ) -> None:
        self._node = node
        self._version = version
        self._data_dir = data_dir
        self._controller = controller
        self._partitions = partitions
        self._is_ready = is_ready
        self.node_id = node_id
        self.node_config: dict[str, Any] = node.as_dict()
        self.node_config["node_id"] = node_id  # the effective id, also when assigned
        self.cluster_config = cluster_config
        self.config_frontend = config_frontend
        self.users = users
        self._maintenance = False

    def is_ready(self) -> bool:
        return self._is_ready()

    def controller_id(self) -> int:
        leader = self._controller.leader_id
        return -1 if leader is None else leader

    def brokers(self) -> list[Broker]:
        node = self._node
        usage = shutil.disk_usage(self._data_dir)
        rpc = node.advertised_rpc_api or node.rpc_server
        return [
            Broker(
                node_id=self.node_id,
                num_cores=os.cpu_count() or 1,
                internal_rpc_address=rpc.host,
                internal_rpc_port=rpc.port,
                version=self._version,
                rack=node.rack,
                disk_space=[
                    DiskSpace(path=str(self._data_dir), free=usage.free, total=usage.total)
                ],
                maintenance_status=MaintenanceStatus(
                    draining=self._maintenance, finished=self._maintenance
                ),
            )
        ]

    def partitions(self) -> list[Partition]:
        out = [
            Partition(
                ns="redpanda",
                topic="controller",
                partition_id=0,
                raft_group_id=CONTROLLER_GROUP_ID,
                leader_id=self.controller_id(),
                replicas=[Replica(node_id=self.node_id)],
            )
        ]
        for p in sorted(self._partitions.all(), key=lambda p: (p.topic, p.index)):
            out.append(
                Partition(
                    ns="kafka",
                    topic=p.topic,
                    partition_id=p.index,
                    raft_group_id=p.raft_group_id,
                    leader_id=self.node_id if p.is_leader else -1,
                    replicas=[Replica(node_id=self.node_id)],
                )
            )
        return out

    async def set_maintenance(self, node_id: int, enabled: bool) -> None:
        if node_id != self.node_id:
            raise KeyError(node_id)
        # One broker: there is no other replica to move leadership to, so draining finishes at once.
        self._maintenance = enabled
