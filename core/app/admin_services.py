"""The broker's implementation of admin_api.deps.AdminServices (wired by core.app)."""

from __future__ import annotations

import os
import shutil
from typing import Any

from admin_api.models import Broker, DiskSpace, MaintenanceStatus, Partition, Replica
from core.cluster.controller import CONTROLLER_GROUP_ID


class BrokerAdminServices:
    def __init__(self, broker) -> None:
        self._b = broker
        self.node_id = broker.node_id
        self.node_config: dict[str, Any] = broker.node.as_dict()
        self.node_config["node_id"] = broker.node_id  # the effective id, also when assigned
        self.cluster_config = broker.cluster_config
        self.config_frontend = broker.config_frontend
        self.users = broker.users
        self._maintenance = False

    def is_ready(self) -> bool:
        return self._b.ready

    def controller_id(self) -> int:
        leader = self._b.controller.leader_id
        return -1 if leader is None else leader

    def brokers(self) -> list[Broker]:
        node = self._b.node
        usage = shutil.disk_usage(self._b.data_dir)
        rpc = node.advertised_rpc_api or node.rpc_server
        return [
            Broker(
                node_id=self.node_id,
                num_cores=os.cpu_count() or 1,
                internal_rpc_address=rpc.host,
                internal_rpc_port=rpc.port,
                version=self._b.version,
                rack=node.rack,
                disk_space=[
                    DiskSpace(path=str(self._b.data_dir), free=usage.free, total=usage.total)
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
        for p in sorted(self._b.partitions.all(), key=lambda p: (p.topic, p.index)):
            out.append(
                Partition(
                    ns="kafka",
                    topic=p.topic,
                    partition_id=p.index,
                    raft_group_id=p.consensus.group_id,
                    leader_id=self.node_id if p.consensus.is_leader else -1,
                    replicas=[Replica(node_id=self.node_id)],
                )
            )
        return out

    async def set_maintenance(self, node_id: int, enabled: bool) -> None:
        if node_id != self.node_id:
            raise KeyError(node_id)
        # One broker: there is no other replica to move leadership to, so draining finishes at once.
        self._maintenance = enabled
