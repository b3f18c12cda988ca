"""The controller log is prefix-truncated below its snapshots: controllers in one process over
real RPC (RpcServer, RaftGroups, DiskLog with small segments, so truncation deletes files),
each with its own directory, ControllerVoters adding members to the controller group.

* all members up: every node's log start moves above 0, the bytes on disk shrink, and every
  node has the same state;
* a member down holds the log start at what it holds; back, it catches up by entries;
* a node joining after truncation receives the leader's snapshot, ends with the same state,
  and survives its own restart;
* a full cluster restart after truncation keeps every topic.
"""

from __future__ import annotations

import asyncio
import pathlib
import shutil
import uuid
from dataclasses import dataclass

from core.cluster.controller import Controller
from core.cluster.controller_rpc import Forwarder
from core.cluster.id_allocator import ProducerIdAllocator
from core.cluster.members import Member
from core.cluster.node_join import ControllerVoters
from core.cluster.raft_groups import RaftGroups
from core.common.clock import SystemClock
from core.raft.consensus import Consensus
from core.rpc.frame import Method
from core.rpc.hello import IdentityBook, NodeIdentity
from core.rpc.server import RpcServer
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig
from tests.raft_groups.nodes import CLUSTER, Node, start_nodes, until

EVERY = 20
SEGMENT_BYTES = 4096  # small segments: a truncated prefix frees whole files


class Refused(RuntimeError):
    pass


def refuse(reason: str) -> None:
    raise Refused(reason)


@dataclass
class Ctl:
    node: Node
    controller: Controller
    pids: ProducerIdAllocator
    voters_task: ControllerVoters
    log: DiskLog

    def state(self) -> tuple:
        c = self.controller
        return (c.topics.snapshot(), c.members.snapshot(), self.pids.reserved_end)

    async def stop(self) -> None:
        await self.voters_task.close()
        self.controller.close()
        await self.node.stop()


def start_controller(node: Node, voters: tuple[int, ...]) -> Ctl:
    log = DiskLog.open(
        node.directory / "controller", LogConfig(segment_bytes=SEGMENT_BYTES), SystemClock()
    )
    consensus = Consensus(
        0, node.node_id, log, node.flusher, voters=voters, transport=node.groups.transport(0)
    )
    node.groups.register(consensus)
    node.replicas[0], node.logs[0] = consensus, log
    controller = Controller(
        consensus, log, forwarder=Forwarder(node.server.peers), snapshot_every_commands=EVERY
    )
    controller.on_fatal = refuse
    pids = ProducerIdAllocator(controller)
    node.server.register(Method.controller_submit, controller.handle_submit)
    joins = ControllerVoters(controller)
    controller.start()
    joins.start()
    return Ctl(node, controller, pids, joins, log)


async def new_node(
    node_id: int, directory: pathlib.Path, peers: list[Node], old: Node | None = None
) -> Node:
    """A node process (a fresh one, or `old` again: its identity and port) knowing `peers`;
    the peers learn its address too."""
    identity = old.server.book.local if old else NodeIdentity(node_id, uuid.uuid4(), CLUSTER)
    server = RpcServer(IdentityBook(identity))
    port = await server.start("127.0.0.1", old.port if old else 0)
    groups = RaftGroups(node_id, server, server.peers, SystemClock())
    flusher = GroupCommit()
    flusher.start()
    node = Node(node_id, directory, server, groups, flusher, port)
    for other in peers:
        if other.node_id == node_id:
            continue
        server.peers.set_peer(other.node_id, "127.0.0.1", other.port)
        if other.alive:
            other.server.peers.set_peer(node_id, "127.0.0.1", port)
    groups.start()
    return node


def create(i: int, nodes: int = 3) -> tuple[str, dict]:
    payload = {
        "name": f"t{i}",
        "topic_id": f"id-{i}",
        "partitions": 1,
        "replication_factor": 3,
        "assignments": [[i % nodes, (i + 1) % nodes, (i + 2) % nodes]],
    }
    return "create_topic", payload


async def register(ctl: Ctl, node: Node) -> None:
    i = node.node_id
    member = Member(i, f"uuid-{i}", "127.0.0.1", 9092 + i, "127.0.0.1", node.port)
    await ctl.controller.submit("register_node", member.as_payload())


async def create_topics(ctl: Ctl, first: int, count: int) -> None:
    for base in range(first, first + count, 10):
        top = min(base + 10, first + count)
        await asyncio.gather(*(ctl.controller.submit(*create(i)) for i in range(base, top)))


def leader(ctls: dict[int, Ctl]) -> Ctl:
    return next(c for c in ctls.values() if c.controller.is_leader)


async def settled(ctls: dict[int, Ctl], timeout_s: float = 10.0) -> None:
    """Every controller applied the leader's last command."""
    end = leader(ctls).controller.last_applied
    await until(
        lambda: all(c.controller.last_applied >= end for c in ctls.values()),
        timeout_s,
        f"every controller at offset {end}",
    )


async def three(tmp_path: pathlib.Path) -> tuple[list[Node], dict[int, Ctl]]:
    nodes = await start_nodes(tmp_path, 3)
    ctls = {n.node_id: start_controller(n, (0, 1, 2)) for n in nodes}
    await until(lambda: any(c.controller.is_leader for c in ctls.values()), 10, "a leader")
    for n in nodes:
        await register(leader(ctls), n)
    return nodes, ctls


async def stop_all(ctls: dict[int, Ctl]) -> None:
    for c in ctls.values():
        if c.node.alive:
            await c.stop()


async def test_all_members_up_truncate_and_agree(tmp_path):
    nodes, ctls = await three(tmp_path)
    try:
        await create_topics(leader(ctls), 0, EVERY // 2)  # below the first snapshot
        await settled(ctls)
        assert all(c.log.start_offset == 0 for c in ctls.values())
        per_offset = {i: c.log.size_bytes / c.log.next_offset for i, c in ctls.items()}
        bytes_before = {i: c.log.size_bytes for i, c in ctls.items()}
        await create_topics(leader(ctls), 1000, 10 * EVERY - EVERY // 2)
        await settled(ctls)
        await until(
            lambda: all(c.log.start_offset >= 8 * EVERY for c in ctls.values()),
            10,
            "every controller log start moved",
        )
        for c in ctls.values():  # bounded by the node's own snapshot, never past it
            assert 0 < c.log.start_offset <= c.controller.snapshots.offset + 1
            assert c.controller.snapshots_installed == 0
        # a follower held back by its snapshot writes one at once, then follows the leader
        goal = leader(ctls).controller.consensus.start_goal
        await until(
            lambda: all(c.log.start_offset == goal for c in ctls.values()), 5, "every start"
        )
        states = [c.state() for c in ctls.values()]
        assert states[0] == states[1] == states[2]
        assert len(states[0][0]["topics"]) == 10 * EVERY
        after = {
            i: (c.log.start_offset, c.log.next_offset, c.log.size_bytes) for i, c in ctls.items()
        }
        print(
            f"\ncontroller log bytes at {EVERY // 2} topics: {bytes_before}; "
            f"after {10 * EVERY} topics (start, end, bytes): {after}"
        )
        for i, c in ctls.items():  # whole segments below the start are gone
            whole = c.log.next_offset * per_offset[i]
            assert c.log.size_bytes < whole / 2, (i, c.log.size_bytes, whole)
    finally:
        await stop_all(ctls)


async def test_a_member_down_holds_the_start_and_catches_up_by_entries(tmp_path):
    nodes, ctls = await three(tmp_path)
    try:
        await create_topics(leader(ctls), 0, EVERY)
        await settled(ctls)
        down = next(i for i, c in ctls.items() if not c.controller.is_leader)
        held = ctls[down].log.next_offset
        await ctls[down].stop()
        others = {i: c for i, c in ctls.items() if i != down}
        await create_topics(leader(others), 100, 5 * EVERY)
        await settled(others)
        await asyncio.sleep(0.5)  # snapshots written, truncation proposed if it ever would be
        for c in others.values():
            assert c.controller.snapshots.offset > held  # snapshots past what it holds...
            assert c.log.start_offset <= held  # ...but the start waits for it

        node = await new_node(down, nodes[down].directory, nodes, nodes[down])
        ctls[down] = back = start_controller(node, (0, 1, 2))
        await settled(ctls)
        assert back.controller.snapshots_installed == 0  # caught up by entries
        await create_topics(leader(ctls), 1000, 2 * EVERY)  # snapshots after its return
        await settled(ctls)
        await until(
            lambda: all(c.log.start_offset > held for c in ctls.values()),
            10,
            "the start moves past what it held once it is back",
        )
        states = [c.state() for c in ctls.values()]
        assert states[0] == states[1] == states[2]
    finally:
        await stop_all(ctls)


async def test_a_node_joining_after_truncation_receives_the_snapshot(tmp_path):
    nodes, ctls = await three(tmp_path)
    try:
        await create_topics(leader(ctls), 0, 4 * EVERY)
        await settled(ctls)
        await until(
            lambda: all(c.log.start_offset > 2 * EVERY for c in ctls.values()), 10, "truncated"
        )
        joiner = await new_node(3, tmp_path / "n3", nodes)
        nodes.append(joiner)
        ctls[3] = start_controller(joiner, (0, 1, 2))  # the voters it is told: not itself
        await register(leader(ctls), joiner)
        await until(lambda: 3 in leader(ctls).controller.consensus.voters, 15, "node 3 a voter")
        await create_topics(leader(ctls), 1000, 5)
        await settled(ctls)
        new = ctls[3].controller
        assert new.snapshots_installed == 1
        assert new.snapshots.offset >= ctls[3].log.start_offset - 1 > 0
        assert ctls[3].state() == leader(ctls).state()
        assert len(ctls[3].state()[0]["topics"]) == 4 * EVERY + 5
        assert len(ctls[3].state()[1]["members"]) == 4

        await ctls[3].stop()  # its own restart, over its truncated log
        joiner = await new_node(3, tmp_path / "n3", nodes, joiner)
        ctls[3] = start_controller(joiner, (0, 1, 2))
        assert ctls[3].log.start_offset > 0
        assert ctls[3].controller.snapshots_installed == 0
        await create_topics(leader(ctls), 2000, 3)
        await settled(ctls)
        assert ctls[3].state() == leader(ctls).state()
        assert 3 in ctls[3].controller.consensus.voters
    finally:
        await stop_all(ctls)


async def test_a_full_restart_after_truncation_keeps_every_topic(tmp_path):
    nodes, ctls = await three(tmp_path)
    try:
        await create_topics(leader(ctls), 0, 4 * EVERY + 7)
        await settled(ctls)
        await until(
            lambda: all(c.log.start_offset > 2 * EVERY for c in ctls.values()), 10, "truncated"
        )
        before = leader(ctls).state()
    finally:
        await stop_all(ctls)
    again = []
    for n in nodes:
        again.append(await new_node(n.node_id, n.directory, again, n))
    ctls = {n.node_id: start_controller(n, (0, 1, 2)) for n in again}
    try:
        for c in ctls.values():
            assert c.log.start_offset > 2 * EVERY
            assert c.controller.snapshots.offset >= c.log.start_offset - 1
            assert c.state() == before
        await until(lambda: any(c.controller.is_leader for c in ctls.values()), 10, "a leader")
        await create_topics(leader(ctls), 500, 3)
        await settled(ctls)
        states = [c.state() for c in ctls.values()]
        assert states[0] == states[1] == states[2]
        assert len(states[0][0]["topics"]) == 4 * EVERY + 10
    finally:
        await stop_all(ctls)


async def test_a_follower_crash_image_after_truncation_restores_and_catches_up(tmp_path):
    """kill -9 semantics: a copy of a running follower's directory (no snapshot at close) has
    a log start at most its latest periodic snapshot + 1, so its restart restores and replays."""
    nodes, ctls = await three(tmp_path)
    try:
        await create_topics(leader(ctls), 0, 4 * EVERY + 5)
        await settled(ctls)
        await until(lambda: all(c.log.start_offset > 0 for c in ctls.values()), 10, "truncated")
        f = next(i for i, c in ctls.items() if not c.controller.is_leader)
        await asyncio.sleep(0.25)  # last_applied persisted (batched every 100 ms)
        image = tmp_path / "crash"
        shutil.copytree(nodes[f].directory, image)  # as kill -9 leaves it
        ctls[f].controller.snapshots.on = False  # the crashed process writes nothing more
        await ctls[f].stop()
        await create_topics(leader(ctls), 500, 7)  # what it misses
        shutil.rmtree(nodes[f].directory)
        image.rename(nodes[f].directory)
        node = await new_node(f, nodes[f].directory, nodes, nodes[f])
        ctls[f] = back = start_controller(node, (0, 1, 2))
        assert 0 < back.log.start_offset <= back.controller.snapshots.offset + 1
        await settled(ctls)
        assert back.controller.snapshots_installed == 0
        states = [c.state() for c in ctls.values()]
        assert states[0] == states[1] == states[2]
    finally:
        await stop_all(ctls)
