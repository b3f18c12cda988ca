"""The broker's implementation of admin_api.deps.AdminServices (wired by core.app).

It is given the facades it reads, never the app: the node configuration, the controller (for
its leader, its voters and the members table: every broker), the partition manager (each
partition of the cluster: replicas, leader, ISR; and its leaders table, whose contact times
say which nodes are alive), the cluster config store and frontend, the user frontend, and a
readiness probe.

What only a node itself knows (cores, disk space, version, maintenance) is reported for this
node; other members show what the members table holds, with is_alive from recent contact.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from admin_api.models import Broker, DiskSpace, MaintenanceStatus, Partition, Replica
from core.cluster.config_frontend import ClusterConfigFrontend
from core.cluster.controller import CONTROLLER_GROUP_ID
from core.cluster.leaders import LeaderTable
from core.cluster.metadata import BrokerInfo
from core.cluster.partition_manager import PartitionView
from core.cluster.topic_table import TopicTable
from core.config.cluster_properties import ClusterConfigStore
from core.config.node import NodeConfig
from core.security.users import UserFrontend


class BrokerSource(Protocol):
    """The members table (core.cluster.members.Members)."""

    def brokers(self) -> list[BrokerInfo]: ...


class ControllerGroup(Protocol):
    @property
    def voters(self) -> list[int]: ...


class ControllerView(Protocol):
    """The controller (core.cluster.controller.Controller): its leader, its Raft group's
    voters and the members table it applies."""

    @property
    def leader_id(self) -> int | None: ...

    @property
    def consensus(self) -> ControllerGroup: ...

    @property
    def members(self) -> BrokerSource: ...


class PartitionSource(Protocol):
    """Placement and leadership (core.cluster.partition_manager.PartitionManager)."""

    topics: TopicTable
    leaders: LeaderTable

    def describe(self, topic: str, partition: int) -> PartitionView | None: ...


class BrokerAdminServices:
    def __init__(
        self,
        *,
        node: NodeConfig,
        node_id: int,
        version: str,
        data_dir: Path,
        controller: ControllerView,
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
        self.moves: Any = None  # core.cluster.moves_runtime.MovesRuntime (admin_api.routes.moves)
        self.leadership: Any = None  # core.cluster.leadership.Leadership (transfers, maintenance)
        self.transactions: Any = None  # core.transactions (admin_api.routes.transactions)

    def is_ready(self) -> bool:
        return self._is_ready()

    def controller_id(self) -> int:
        leader = self._controller.leader_id
        return -1 if leader is None else leader

    def brokers(self) -> list[Broker]:
        others = self._controller.members.brokers()
        out = {b.node_id: self._other_broker(b) for b in others if b.node_id != self.node_id}
        out[self.node_id] = self._this_broker()
        if self.moves is not None:  # draining while decommissioned
            for broker in out.values():
                broker.membership_status = self.moves.decommission_table.membership(broker.node_id)
        return [out[n] for n in sorted(out)]

    def _this_broker(self) -> Broker:
        node = self._node
        usage = shutil.disk_usage(self._data_dir)
        rpc = node.advertised_rpc_api or node.rpc_server
        return Broker(
            node_id=self.node_id,
            num_cores=os.cpu_count() or 1,
            internal_rpc_address=rpc.host,
            internal_rpc_port=rpc.port,
            version=self._version,
            rack=node.rack,
            disk_space=[DiskSpace(path=str(self._data_dir), free=usage.free, total=usage.total)],
            maintenance_status=MaintenanceStatus(
                draining=self._maintenance, finished=self._maintenance
            ),
        )

    def _other_broker(self, info: BrokerInfo) -> Broker:
        return Broker(
            node_id=info.node_id,
            num_cores=1,  # not reported by other nodes yet
            internal_rpc_address=info.rpc_host,
            internal_rpc_port=info.rpc_port,
            is_alive=self._partitions.leaders.is_alive(info.node_id),
            rack=info.rack,
        )

    def partitions(self) -> list[Partition]:
        """Every partition of the cluster: the controller's, then each topic's in order.
        Leaderless: no known leader, or a leader not alive; under-replicated: fewer in-sync
        replicas than replicas (the leader's view here) or a replica on a node not alive."""
        alive = self._partitions.leaders.is_alive
        voters = self._controller.consensus.voters
        out = [
            Partition(
                ns="redpanda",
                topic="controller",
                partition_id=0,
                raft_group_id=CONTROLLER_GROUP_ID,
                leader_id=self.controller_id(),
                replicas=[Replica(node_id=n) for n in voters],
                under_replicated=not all(alive(n) for n in voters),
            )
        ]
        table = self._partitions.topics
        for name in sorted(table.topics):
            meta = table.topics[name]
            for index in range(meta.partitions):
                view = self._partitions.describe(name, index)
                if view is not None:
                    out.append(_partition(name, index, view, alive))
        return out

    async def set_maintenance(self, node_id: int, enabled: bool) -> None:
        """This node's maintenance mode; ValueError for another member (set on that node's
        Admin API: draining is not replicated yet), KeyError for no such node."""
        if node_id != self.node_id:
            if any(b.node_id == node_id for b in self._controller.members.brokers()):
                raise ValueError(f"maintenance of node {node_id} is set on its own Admin API")
            raise KeyError(node_id)
        # One broker: there is no other replica to move leadership to, so draining finishes at once.
        self._maintenance = enabled


def _partition(
    topic: str, index: int, view: PartitionView, alive: Callable[[int], bool]
) -> Partition:
    leader = view.leader_id if view.leader_id is not None and alive(view.leader_id) else -1
    return Partition(
        ns="kafka",
        topic=topic,
        partition_id=index,
        raft_group_id=view.raft_group_id,
        leader_id=leader,
        replicas=[Replica(node_id=n) for n in view.replicas],
        under_replicated=len(view.in_sync) < len(view.replicas)
        or not all(alive(n) for n in view.replicas),
    )
