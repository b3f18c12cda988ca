"""Three controllers in one process over real RPC (RpcServer, PeerClients, RaftGroups, DiskLog):
commands submitted on followers are forwarded to the leader and applied on every node from
the committed log; identical tables everywhere; producer-id blocks never overlap; the
leader stopped, a follower's submit succeeds under the next leader; a restarted node
replays its persisted last_applied before hearing from any leader. Plus seed discovery:
founders learn each other's ids by hello and agree on the voters."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import pytest

from core.cluster.bootstrap import Bootstrap, BootstrapError
from core.cluster.controller import Controller
from core.cluster.controller_rpc import Forwarder
from core.cluster.id_allocator import BLOCK_SIZE, ProducerIdAllocator
from core.cluster.members import Member, Members
from core.cluster.topics import TopicsFrontend
from core.common.clock import SystemClock
from core.config.cluster_properties import ClusterConfigStore
from core.config.node import Address, NodeConfig
from core.raft.consensus import Consensus
from core.rpc.frame import Method
from core.rpc.hello import IdentityBook, NodeIdentity
from core.rpc.server import RpcServer
from core.storage.group_commit import GroupCommit
from core.storage.kvstore import KvStore
from core.storage.log import DiskLog, LogConfig
from tests.raft_groups.nodes import Node, start_nodes, until

VOTERS = (0, 1, 2)


@dataclass
class ControllerNode:
    node: Node
    controller: Controller
    pids: ProducerIdAllocator
    topics: TopicsFrontend


def start_controller(node: Node, *, register_rpc: bool = True) -> ControllerNode:
    log = DiskLog.open(node.directory / "controller", LogConfig(), SystemClock())
    consensus = Consensus(
        0, node.node_id, log, node.flusher, voters=VOTERS, transport=node.groups.transport(0)
    )
    node.groups.register(consensus)
    node.replicas[0], node.logs[0] = consensus, log
    controller = Controller(consensus, log, forwarder=Forwarder(node.server.peers))
    pids = ProducerIdAllocator(controller)
    if register_rpc:
        node.server.register(Method.controller_submit, controller.handle_submit)
    controller.start()
    return ControllerNode(node, controller, pids, TopicsFrontend(controller, ClusterConfigStore()))


def member(i: int) -> Member:
    return Member(i, f"uuid-{i}", "127.0.0.1", 9092 + i, "127.0.0.1", 33145 + i)


def leader(nodes: list[ControllerNode]) -> ControllerNode | None:
    serving = [n for n in nodes if n.node.alive and n.controller.consensus.serving]
    return max(serving, key=lambda n: n.controller.consensus.term) if serving else None


def table(n: ControllerNode) -> list:
    return [
        (m.name, m.topic_id, m.partition_revisions, m.assignments)
        for m in sorted(n.controller.topics.topics.values(), key=lambda m: m.name)
    ]


async def test_followers_submit_through_the_leader_and_every_node_applies(tmp_path):
    nodes = [start_controller(n) for n in await start_nodes(tmp_path, 3)]
    try:
        await until(lambda: leader(nodes) is not None, 10, "a controller leader")
        await asyncio.gather(
            *(
                n.controller.submit("register_node", member(i).as_payload())
                for i, n in enumerate(nodes)
            )
        )
        first = leader(nodes)
        assert first is not None
        follower = next(n for n in nodes if n is not first)
        await follower.topics.create_topic("orders", 3, 3)
        await until(lambda: all(len(n.controller.members) == 3 for n in nodes), 5, "members")
        await until(lambda: len({repr(table(n)) for n in nodes}) == 1, 5, "identical tables")
        meta = nodes[0].controller.topics.get("orders")
        assert meta is not None and all(sorted(a) == [0, 1, 2] for a in meta.assignments)
        assert sorted(a[0] for a in meta.assignments) == [0, 1, 2]  # preferred leaders spread

        # every node allocates at once: the blocks are decided at apply, never overlapping
        pids = await asyncio.gather(*(n.pids.allocate() for n in nodes))
        assert len({p // BLOCK_SIZE for p in pids}) == 3

        # the leader stops: a follower's submit waits for the next leader and succeeds
        await first.node.stop()
        first.controller.close()
        survivor = next(n for n in nodes if n.node.alive)
        await survivor.topics.create_topic("after-failover", 1, 1)
        for n in nodes:
            if n.node.alive:
                await until(lambda n=n: n.controller.topics.get("after-failover") is not None, 5)
    finally:
        for n in nodes:
            n.controller.close()
            await n.node.stop()


async def test_a_restarted_follower_replays_its_applied_commands_before_any_leader(tmp_path):
    raw = await start_nodes(tmp_path, 3)
    nodes = [start_controller(n) for n in raw]
    try:
        await until(lambda: leader(nodes) is not None, 10, "a controller leader")
        await nodes[1].controller.submit("register_node", member(1).as_payload())
        await nodes[2].topics.create_topic("kept", 2, 1)
        await until(lambda: all(n.controller.topics.get("kept") for n in nodes), 5, "applied")
        await asyncio.sleep(0.3)  # last_applied persisted (batched, every 100 ms)
        victim = nodes[2]
        applied = victim.controller.last_applied
        victim.controller.close()
        victim.node.logs[0].close()
        for n in nodes:
            await n.node.stop()
        # alone (no peer answers), the restarted node holds what it had applied
        again = await start_nodes(tmp_path / "again", 1)
        alone = again[0]
        alone.directory = victim.node.directory
        alone.node_id = 2
        restarted = start_controller(alone, register_rpc=False)
        assert restarted.controller.last_applied == applied
        assert restarted.controller.topics.get("kept") is not None
        assert restarted.controller.members.get(1) == member(1)
        restarted.controller.close()
        await alone.stop()
    finally:
        for n in nodes:
            n.controller.close()
            await n.node.stop()


async def test_founders_discover_each_other_and_agree_on_voters(tmp_path):
    servers, configs = [], []
    for i in range(3):
        server = RpcServer(IdentityBook(NodeIdentity(10 + i, uuid.uuid4())))
        port = await server.start("127.0.0.1", 0)
        servers.append((server, port))
    seeds = [Address("127.0.0.1", port) for _, port in servers]
    try:
        boots = []
        for i in range(3):
            node = NodeConfig(
                data_directory=tmp_path / f"d{i}",
                node_id=10 + i,
                rpc_server=seeds[i],
                seed_servers=seeds,
            )
            node.data_directory.mkdir()
            configs.append(node)
            boots.append(Bootstrap(node, KvStore.open(node.data_directory / "node.json")))
        voters = await asyncio.gather(
            *(
                b.controller_voters(servers[i][0].peers, timeout_ms=5_000)
                for i, b in enumerate(boots)
            )
        )
        assert voters == [(10, 11, 12)] * 3
        assert servers[0][0].peers.get(12).port == seeds[2].port
        # members' advertised addresses never replace a seed's (a per-link proxy in tests)
        members, peers = Members(), servers[0][0].peers
        boots[0].connect_members(members, peers)
        for node_id, rpc_port in ((12, 1), (13, 2)):
            registered = Member(node_id, str(uuid.uuid4()), "127.0.0.1", 9092, "10.0.0.1", rpc_port)
            members.apply_register(registered.as_payload(), node_id)
        assert (peers.get(12).host, peers.get(12).port) == ("127.0.0.1", seeds[2].port)
        assert (peers.get(13).host, peers.get(13).port) == ("10.0.0.1", 2)
        again = Bootstrap(configs[1], KvStore.open(configs[1].data_directory / "node.json"))
        assert again.node_uuid == boots[1].node_uuid
        assert await again.controller_voters(None, timeout_ms=1) == (10, 11, 12)  # no dialing
    finally:
        for server, _ in servers:
            await server.close()


async def test_a_single_node_founds_its_own_cluster(tmp_path):
    node = NodeConfig(data_directory=tmp_path, node_id=None)
    boot = Bootstrap(node, KvStore.open(tmp_path / "node.json"))
    assert boot.node_id == 0 and await boot.controller_voters(None) == (0,)
    log = DiskLog.open(tmp_path / "controller", LogConfig(), SystemClock())
    flusher = GroupCommit()
    flusher.start()
    controller = Controller(Consensus(0, 0, log, flusher), log)
    controller.start()
    try:
        cluster = await boot.found(controller)
        me = boot.member(Address("127.0.0.1", 9092))
        await boot.register(controller, me)
        await boot.register(controller, me)  # unchanged: nothing submitted
        await boot.wait_for_founders(controller, timeout_ms=1_000)
        assert controller.members.all() == [me] and controller.members.cluster_uuid == cluster
        assert controller.last_applied == 1
    finally:
        controller.close()
        await flusher.stop()
        log.close()


async def test_founding_without_a_majority_fails_with_a_clear_error(tmp_path):
    seeds = [Address("127.0.0.1", 1), Address("127.0.0.1", 2), Address("127.0.0.1", 3)]
    node = NodeConfig(data_directory=tmp_path, rpc_server=seeds[0], seed_servers=seeds)
    boot = Bootstrap(node, KvStore.open(tmp_path / "node.json"))
    log = DiskLog.open(tmp_path / "controller", LogConfig(), SystemClock())
    flusher = GroupCommit()
    flusher.start()
    controller = Controller(Consensus(0, boot.node_id, log, flusher, voters=VOTERS), log)
    controller.start()  # no transport: its votes reach nobody
    try:
        with pytest.raises(BootstrapError, match="majority of the seeds"):
            await boot.found(controller, timeout_ms=300)
        assert boot.cluster_uuid is None
    finally:
        controller.close()
        await flusher.stop()
        log.close()
