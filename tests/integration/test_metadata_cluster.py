"""Three nodes in one process, each with a real RpcServer on 127.0.0.1, RaftGroups, a
LeaderTable and a PartitionManager over real DiskLogs, fed the same topic table: replicas
open only where assigned, leadership is disseminated to every node (also those holding no
replica), the leader alone serves, and a killed leader is replaced in every table."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.leaders import LeaderTable
from core.cluster.partition_manager import PartitionManager
from core.cluster.raft_groups import RaftGroups
from core.cluster.topic_table import TopicTable
from core.common.clock import SystemClock
from core.config.cluster_properties import ClusterConfigStore
from core.model.records import Record, build_batch
from core.rpc.hello import IdentityBook, NodeIdentity
from core.rpc.server import RpcServer
from core.storage.group_commit import GroupCommit

CLUSTER = uuid.uuid4()
NODES = (0, 1, 2)
ASSIGNMENTS = [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0]]  # t/3 lives on node 0 alone


class Node:
    def __init__(self, node_id: int, data_dir: Path) -> None:
        self.node_id = node_id
        self.alive = True
        self.server = RpcServer(IdentityBook(NodeIdentity(node_id, uuid.uuid4(), CLUSTER)))
        clock = SystemClock()
        self.groups = RaftGroups(node_id, self.server, self.server.peers, clock)
        self.leaders = LeaderTable(
            node_id,
            self.server.peers,
            lambda: NODES,
            flush_interval_ms=20,
            ping_interval_ms=200,
            alive_timeout_ms=1_000,
        )
        self.leaders.register(self.server)
        self.flusher = GroupCommit()
        self.table = TopicTable()
        self.partitions = PartitionManager(
            data_dir,
            node_id,
            self.table,
            ClusterConfigStore(),
            self.flusher,
            clock,
            leaders=self.leaders,
            raft_groups=self.groups,
            replica_lag_time_max_ms=1_000,
        )
        self.port = 0

    async def start(self) -> None:
        self.port = await self.server.start("127.0.0.1", 0)
        self.flusher.start()

    def run(self, others: list[Node]) -> None:
        for other in others:
            if other is not self:
                self.server.peers.set_peer(other.node_id, "127.0.0.1", other.port)
        self.groups.start()
        self.leaders.start()

    async def stop(self) -> None:
        if not self.alive:
            return
        self.alive = False
        await self.leaders.stop()
        await self.server.close()
        await self.groups.close()
        self.partitions.close_all()
        await self.flusher.stop()


async def until(cond: Callable[[], bool], timeout_s: float, what: str) -> None:
    started = time.monotonic()
    while not cond():
        assert time.monotonic() - started < timeout_s, f"{what} not within {timeout_s} s"
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def cluster(tmp_path: Path) -> AsyncIterator[list[Node]]:
    """Three started nodes holding topic "t" (ASSIGNMENTS, revision 7); stopped on the way out."""
    started = [Node(i, tmp_path / f"n{i}") for i in NODES]
    for node in started:
        await node.start()
    for node in started:
        node.run(started)
    create = {
        "name": "t",
        "topic_id": str(uuid.uuid4()),
        "partitions": len(ASSIGNMENTS),
        "replication_factor": 3,
        "configs": {},
        "assignments": ASSIGNMENTS,
    }
    for node in started:  # the controller applies the same command on every node
        node.table.apply_create(dict(create), 7)
    try:
        yield started
    finally:
        for node in started:
            await node.stop()


@pytest.fixture
async def nodes(tmp_path):
    async with cluster(tmp_path) as started:
        yield started


def views(nodes: list[Node], index: int) -> list:
    return [n.partitions.describe("t", index) for n in nodes if n.alive]


def agreed_leader(nodes: list[Node], index: int) -> int | None:
    seen = {(v.leader_id, v.leader_epoch) for v in views(nodes, index)}
    if len(seen) != 1:
        return None
    leader, _ = seen.pop()
    return leader


async def test_replicas_open_where_assigned_and_every_node_learns_every_leader(nodes):
    hosted = {n.node_id: sorted(p.index for p in n.partitions.all()) for n in nodes}
    assert hosted == {0: [0, 1, 2, 3], 1: [0, 1, 2], 2: [0, 1, 2]}
    for index in range(len(ASSIGNMENTS)):
        await until(lambda i=index: agreed_leader(nodes, i) is not None, 10, f"leader of t/{index}")
    assert agreed_leader(nodes, 3) == 0
    for index, replicas in enumerate(ASSIGNMENTS):
        view = nodes[1].partitions.describe("t", index)
        assert view.replicas == tuple(replicas)
        assert view.raft_group_id == 7 * 10_000 + index + 1
        leader = nodes[view.leader_id]
        replica = leader.partitions.leader("t", index)  # the leader serves
        assert replica.leader_epoch == view.leader_epoch
        for other in nodes:
            if other is not leader:
                with pytest.raises(ClusterError) as raised:
                    other.partitions.leader("t", index)
                assert raised.value.errc is ClusterErrc.not_leader
    with pytest.raises(ClusterError) as raised:
        nodes[1].partitions.leader("t", len(ASSIGNMENTS))
    assert raised.value.errc is ClusterErrc.partition_not_found


async def test_isr_and_failover_follow_the_followers(nodes):
    await until(lambda: agreed_leader(nodes, 0) is not None, 10, "leader of t/0")
    first = nodes[agreed_leader(nodes, 0)]
    replica = first.partitions.leader("t", 0)
    written = replica.produce(build_batch([Record(key=b"k", value=b"v")]), -1)
    await asyncio.wait_for(written.acked, 5)
    await until(
        lambda: first.partitions.describe("t", 0).in_sync == (0, 1, 2), 5, "all replicas in sync"
    )
    old_epoch = first.partitions.describe("t", 0).leader_epoch
    await first.stop()  # the leader dies
    rest = [n for n in nodes if n.alive]
    await until(
        lambda: agreed_leader(rest, 0) not in (None, first.node_id), 10, "a new leader of t/0"
    )
    view = rest[0].partitions.describe("t", 0)
    assert view.leader_epoch > old_epoch
    second = nodes[view.leader_id]
    assert second.partitions.describe("t", 0).in_sync == (0, 1, 2)  # as elected: all, for now
    # until its term start commits, the new leader answers NOT_LEADER_OR_FOLLOWER (retriable)
    await until(lambda: second.partitions.is_serving_leader("t", 0), 5, "the new leader serving")
    assert second.partitions.leader("t", 0).high_watermark == 1  # the acked record survived
    await until(
        lambda: second.partitions.describe("t", 0).in_sync == (1, 2),
        5,
        "the dead replica out of the ISR after replica_lag_time_max_ms",
    )
    await until(
        lambda: not any(n.leaders.is_alive(first.node_id) for n in rest), 3, "the dead node down"
    )
    assert all(n.leaders.is_alive(m.node_id) for n in rest for m in rest)


async def test_delete_unregisters_groups_and_forgets_leaders(nodes):
    await until(lambda: agreed_leader(nodes, 0) is not None, 10, "leader of t/0")
    for node in nodes:
        node.table.apply_delete({"name": "t"}, 8)
    for node in nodes:
        assert node.partitions.all() == []
        assert node.groups.get(7 * 10_000 + 1) is None
        assert node.partitions.describe("t", 0) is None
        assert node.leaders.get("t", 0) is None
