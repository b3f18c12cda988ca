"""The Admin API's cluster view on three in-process nodes (tests.integration.test_metadata_cluster:
real RpcServers, RaftGroups, LeaderTables, PartitionManagers): /v1/brokers lists every member
with is_alive, partition endpoints show replicas and leaders, and the health overview names
the node that died, the partition it alone held (leaderless) and those it was a replica of
(under-replicated)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx

from admin_api.server import start_admin_server
from core.app.admin_services import BrokerAdminServices
from core.cluster.config_frontend import ClusterConfigFrontend
from core.cluster.controller import Controller
from core.cluster.members import Members
from core.common.clock import SystemClock
from core.config.cluster_properties import ClusterConfigStore
from core.raft.consensus import Consensus
from core.security.users import UserFrontend
from core.storage.log import DiskLog, LogConfig
from tests.integration.test_metadata_cluster import (
    ASSIGNMENTS,
    NODES,
    Node,
    agreed_leader,
    cluster,
    until,
)
from tests.support.admin import loopback_node


def register_members(table: Members) -> None:
    """What the controller applies when the three nodes register."""
    for n in NODES:
        payload = {
            "node_id": n,
            "uuid": str(uuid.uuid4()),
            "kafka_host": "127.0.0.1",
            "kafka_port": 9092 + n,
            "rpc_host": "127.0.0.1",
            "rpc_port": 33145 + n,
            "rack": None,
        }
        table.apply_register(payload, n)


@contextlib.asynccontextmanager
async def admin_of(node: Node, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    """Node `node`'s Admin API, its controller a single voter (it leads)."""
    log = DiskLog.open(tmp_path / "controller", LogConfig(), SystemClock())
    controller = Controller(Consensus(0, node.node_id, log, node.flusher), log)
    register_members(controller.members)
    config = ClusterConfigStore()
    config_frontend = ClusterConfigFrontend(controller, config, node.node_id)
    users = UserFrontend(controller)
    controller.start()
    services = BrokerAdminServices(
        node=loopback_node(tmp_path),
        node_id=node.node_id,
        version="test",
        data_dir=tmp_path,
        controller=controller,
        partitions=node.partitions,
        cluster_config=config,
        config_frontend=config_frontend,
        users=users,
        is_ready=lambda: True,
    )
    admin = await start_admin_server(services, "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{admin.port}") as client:
            yield client
    finally:
        await admin.stop()
        controller.close()
        log.close()


async def test_brokers_partitions_and_health_follow_the_cluster(tmp_path):
    async with cluster(tmp_path) as nodes, admin_of(nodes[1], tmp_path / "admin") as api:
        for index in range(len(ASSIGNMENTS)):
            await until(lambda i=index: agreed_leader(nodes, i) is not None, 10, f"t/{index}")
        await until(lambda: all(nodes[1].leaders.is_alive(n) for n in NODES), 5, "contact")
        brokers = (await api.get("/v1/brokers")).json()
        assert [(b["node_id"], b["is_alive"]) for b in brokers] == [(0, True), (1, True), (2, True)]
        assert brokers[2]["internal_rpc_port"] == 33145 + 2
        assert (await api.get("/v1/brokers/2")).json()["is_alive"] is True
        # maintenance of any node through any node: tests/leadership (needs the whole broker)
        topic = (await api.get("/v1/partitions/kafka/t")).json()
        assert [[r["node_id"] for r in p["replicas"]] for p in topic] == ASSIGNMENTS
        assert [p["leader_id"] for p in topic] == [agreed_leader(nodes, i) for i in range(4)]
        hosted = (await api.get("/v1/partitions")).json()  # node 1's replicas only
        assert sorted(p["partition_id"] for p in hosted if p["ns"] == "kafka") == [0, 1, 2]
        health = (await api.get("/v1/cluster/health_overview")).json()
        assert health["is_healthy"] is True and health["all_nodes"] == [0, 1, 2]

        await nodes[0].stop()  # t/3 lived on node 0 alone; node 0 held a replica of t/0-2
        await until(lambda: not nodes[1].leaders.is_alive(0), 5, "node 0 seen down")
        health = (await api.get("/v1/cluster/health_overview")).json()
        assert health["is_healthy"] is False and health["nodes_down"] == [0]
        assert "kafka/t/3" in health["leaderless_partitions"]
        assert {"kafka/t/0", "kafka/t/1", "kafka/t/2"} <= set(health["under_replicated_partitions"])
        assert {"nodes_down", "leaderless_partitions", "under_replicated_partitions"} <= set(
            health["unhealthy_reasons"]
        )
        brokers = (await api.get("/v1/brokers")).json()
        assert [(b["node_id"], b["is_alive"]) for b in brokers] == [
            (0, False),
            (1, True),
            (2, True),
        ]
        await until(
            lambda: all(agreed_leader(nodes[1:], i) not in (None, 0) for i in range(3)),
            10,
            "new leaders for t/0-2",
        )
        health = (await api.get("/v1/cluster/health_overview")).json()
        assert health["leaderless_partitions"] == ["kafka/t/3"]
