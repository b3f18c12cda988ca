"""Controller snapshots on three controllers in one process over real RPC (RpcServer,
RaftGroups, DiskLog): followers write periodic snapshots of what they applied too; a follower
restarted from a kill -9 image of its controller directory restores its snapshot, replays
only the commands it had applied after it, learns what it missed from the leader (whose log was never
truncated), and ends with the same tables as every other node."""

from __future__ import annotations

import asyncio
import shutil

from core.cluster.controller import Controller
from core.cluster.controller_rpc import Forwarder
from core.cluster.controller_snapshot import SnapshotFile
from core.cluster.id_allocator import ProducerIdAllocator
from core.cluster.members import Member
from core.cluster.raft_groups import RaftGroups
from core.common.clock import SystemClock
from core.raft.consensus import Consensus
from core.rpc.frame import Method
from core.rpc.hello import IdentityBook
from core.rpc.server import RpcServer
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig
from tests.raft_groups.nodes import Node, start_nodes, until

VOTERS = (0, 1, 2)
EVERY = 20


def start_controller(node: Node, directory) -> tuple[Controller, ProducerIdAllocator]:
    log = DiskLog.open(directory, LogConfig(), SystemClock())
    consensus = Consensus(
        0, node.node_id, log, node.flusher, voters=VOTERS, transport=node.groups.transport(0)
    )
    node.groups.register(consensus)
    node.replicas[0], node.logs[0] = consensus, log
    controller = Controller(
        consensus, log, forwarder=Forwarder(node.server.peers), snapshot_every_commands=EVERY
    )
    pids = ProducerIdAllocator(controller)
    node.server.register(Method.controller_submit, controller.handle_submit)
    controller.start()
    return controller, pids


async def restart_node(old: Node, others: list[Node]) -> Node:
    """A new process for node `old.node_id`: same identity and RPC port, the others as peers."""
    server = RpcServer(IdentityBook(old.server.book.local))
    port = await server.start("127.0.0.1", old.port)
    groups = RaftGroups(old.node_id, server, server.peers, SystemClock())
    flusher = GroupCommit()
    flusher.start()
    node = Node(old.node_id, old.directory, server, groups, flusher, port)
    for other in others:
        server.peers.set_peer(other.node_id, "127.0.0.1", other.port)
    groups.start()
    return node


def state(controller: Controller, pids: ProducerIdAllocator) -> tuple:
    return (controller.topics.snapshot(), controller.members.snapshot(), pids.reserved_end)


def create(i: int) -> tuple[str, dict]:
    payload = {
        "name": f"t{i}",
        "topic_id": f"id-{i}",
        "partitions": 1,
        "replication_factor": 3,
        "assignments": [[i % 3, (i + 1) % 3, (i + 2) % 3]],
    }
    return "create_topic", payload


async def test_a_follower_restarted_from_a_crash_image_restores_and_catches_up(tmp_path):
    nodes = await start_nodes(tmp_path, 3)
    ctls = [start_controller(n, n.directory / "controller") for n in nodes]
    restarted: Node | None = None
    try:
        await until(lambda: any(c.is_leader for c, _ in ctls), 10, "a controller leader")
        leader = next(i for i, (c, _) in enumerate(ctls) if c.is_leader)
        f, other = [i for i in VOTERS if i != leader]
        for i in VOTERS:
            member = Member(i, f"uuid-{i}", "127.0.0.1", 9092 + i, "127.0.0.1", nodes[i].port)
            await ctls[other][0].submit("register_node", member.as_payload())
        for first in range(0, 3 * EVERY, 10):  # through a follower, ten at a time
            await asyncio.gather(
                *(ctls[other][0].submit(*create(i)) for i in range(first, first + 10))
            )
            await ctls[f][1].allocate() if first == 0 else None
        end = ctls[leader][0].last_applied
        await until(lambda: all(c.last_applied == end for c, _ in ctls), 5, "applied everywhere")
        await until(lambda: all(c.snapshots.offset >= 2 * EVERY for c, _ in ctls), 5, "snapshots")
        ctls[f][0].snapshots.every_commands = 10**9  # its last periodic snapshot
        await asyncio.gather(*(ctls[other][0].submit(*create(i)) for i in range(100, 107)))
        end = ctls[leader][0].last_applied
        await until(lambda: all(c.last_applied == end for c, _ in ctls), 5, "applied everywhere")
        await asyncio.sleep(0.25)  # last_applied persisted (batched every 100 ms)
        image = tmp_path / "crash"
        shutil.copytree(nodes[f].directory / "controller", image)  # as kill -9 leaves it
        applied_at_crash = ctls[f][0].last_applied
        ctls[f][0].close()
        await nodes[f].stop()

        for first in range(3 * EVERY, 3 * EVERY + 15, 5):  # what the follower misses
            await asyncio.gather(
                *(ctls[other][0].submit(*create(i)) for i in range(first, first + 5))
            )
        end = ctls[leader][0].last_applied

        snapshot = SnapshotFile(image).read()
        assert snapshot is not None and snapshot.offset >= 2 * EVERY
        restarted = await restart_node(nodes[f], [nodes[leader], nodes[other]])
        ctl, pids = start_controller(restarted, image)
        ctls[f] = (ctl, pids)
        assert ctl.snapshots.offset == snapshot.offset
        assert ctl.replayed_at_start == applied_at_crash - snapshot.offset >= 7
        assert ctl.last_applied == applied_at_crash
        await until(lambda: ctl.last_applied == end, 10, "the restarted follower caught up")
        assert state(ctl, pids) == state(*ctls[leader]) == state(*ctls[other])
        assert ctl.topics.get(f"t{3 * EVERY + 14}") is not None
    finally:
        for i, n in enumerate(nodes):
            ctls[i][0].close()
            await n.stop()
        if restarted is not None:
            await restarted.stop()
