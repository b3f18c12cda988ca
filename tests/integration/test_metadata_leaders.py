"""Leadership dissemination (core.cluster.leaders) between two real RpcServers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import uuid

from core.cluster.leaders import MAX_ENTRIES_PER_FRAME, Leadership, LeaderTable
from core.rpc.hello import IdentityBook, NodeIdentity
from core.rpc.server import RpcServer

CLUSTER = uuid.uuid4()
FAST = {
    "flush_interval_ms": 20,
    "refresh_interval_ms": 300,
    "ping_interval_ms": 100,
    "alive_timeout_ms": 600,
    "rpc_timeout_ms": 500,
}


class Node:
    def __init__(self, node_id: int, members: list[int], node_uuid: uuid.UUID | None = None):
        self.node_id = node_id
        self.uuid = node_uuid or uuid.uuid4()
        self.server = RpcServer(IdentityBook(NodeIdentity(node_id, self.uuid, CLUSTER)))
        self.table = LeaderTable(node_id, self.server.peers, lambda: members, **FAST)
        self.table.register(self.server)
        self.port = 0

    async def start(self, port: int = 0) -> Node:
        self.port = await self.server.start("127.0.0.1", port)
        return self

    def knows(self, other: Node) -> None:
        self.server.peers.set_peer(other.node_id, "127.0.0.1", other.port)

    async def stop(self) -> None:
        await self.table.stop()
        await self.server.close()


async def until(predicate, timeout_s: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def pair() -> tuple[Node, Node]:
    a, b = await Node(0, [0, 1]).start(), await Node(1, [0, 1]).start()
    a.knows(b)
    b.knows(a)
    a.table.start()
    b.table.start()
    return a, b


async def test_changes_reach_the_peer_coalesced_and_the_higher_term_wins():
    a, b = await pair()
    try:
        a.table.set_local("t", 0, 5, 0, 1)
        b.table.set_local("t", 1, 5, 1, 1)
        await until(lambda: b.table.get("t", 0) == Leadership(5, 1, 0))
        await until(lambda: a.table.get("t", 1) == Leadership(5, 1, 1))
        frames = b.table.frames_received
        for i in range(500):  # one burst: coalesced into a frame or two, not 500
            a.table.set_local("burst", i, 7, 0, 1)
        await until(lambda: all(b.table.leader_id("burst", i) == 0 for i in range(500)))
        assert b.table.frames_received - frames <= 3
        frames = b.table.frames_received
        for i in range(3 * MAX_ENTRIES_PER_FRAME):  # more than a frame holds: split
            a.table.set_local("big", i, 7, 0, 1)
        await until(lambda: b.table.leader_id("big", 3 * MAX_ENTRIES_PER_FRAME - 1) == 0)
        assert all(b.table.leader_id("big", i) == 0 for i in range(3 * MAX_ENTRIES_PER_FRAME))
        assert 3 <= b.table.frames_received - frames <= 6
        # b was elected in a later term: a's table follows, a's stale view is not sent back
        b.table.set_local("t", 0, 5, 1, 2)
        await until(lambda: a.table.get("t", 0) == Leadership(5, 2, 1))
        assert not a.table.set_local("t", 0, 5, 0, 1)
        b.table.set_local("t", 0, 5, None, 2)  # b steps down in its own term
        await until(lambda: a.table.get("t", 0) == Leadership(5, 2, None))
    finally:
        await a.stop()
        await b.stop()


async def test_a_restarted_peer_gets_a_full_refresh_and_liveness_follows_contact():
    a, b = await pair()
    try:
        a.table.set_local("t", 0, 5, 0, 3)
        a.table.set_local("t", 1, 5, None, 3)  # not led by a: not in its refresh
        await until(lambda: b.table.leader_id("t", 0) == 0)
        await until(lambda: a.table.is_alive(1) and b.table.is_alive(0))
        port = b.port
        await b.stop()
        await until(lambda: not a.table.is_alive(1), timeout_s=3)
        b = await Node(1, [0, 1], b.uuid).start(port)  # restarted: empty table, same address
        b.knows(a)
        b.table.start()
        await until(lambda: b.table.get("t", 0) == Leadership(5, 3, 0), timeout_s=3)
        assert b.table.get("t", 1) is None
        await until(lambda: a.table.is_alive(1), timeout_s=3)
    finally:
        await a.stop()
        await b.stop()
