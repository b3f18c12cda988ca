"""RaftGroups' bounds: the per-peer outbox drops (and counts) what it cannot hold while the
peer does not answer; a large outbox goes out as several frames, in order; at most
`max_elections` groups campaign at once (core.raft.ticker)."""

from __future__ import annotations

import asyncio
import random
import uuid

from core.cluster.raft_groups import RaftGroups
from core.common.clock import ManualClock
from core.raft.consensus import Consensus
from core.raft.types import AppendRequest, Entry, VoteRequest
from core.rpc.hello import IdentityBook, NodeIdentity
from core.rpc.server import RpcServer
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig
from tests.raft_groups.nodes import batch, start_nodes, until
from tests.support.tcp_proxy import TcpProxy


async def test_a_silent_peer_fills_the_outbox_and_the_rest_is_dropped(tmp_path):
    proxy: list[TcpProxy] = []

    def address(src: int, dst: int, port: int) -> tuple[str, int]:
        if (src, dst) == (0, 1):
            proxy.append(TcpProxy("127.0.0.1", port).start())
            return "127.0.0.1", proxy[0].port
        return "127.0.0.1", port

    nodes = await start_nodes(tmp_path, 2, address=address)
    sender = nodes[0].groups
    try:
        proxy[0].blackhole()  # node 0 -> node 1 swallows everything: no frame is answered
        sender.max_outbox_messages, sender.max_in_flight = 10, 1
        for i in range(40):
            sender.send(9, VoteRequest(0, 1, i + 1, (0, -1), prevote=True))
            await asyncio.sleep(0)
        # one frame in flight (never answered), 10 waiting, the rest dropped and counted
        assert sender.stats.dropped_outbox_full >= 40 - 1 - 10
        assert sender.stats.messages_sent + 10 + sender.stats.dropped_outbox_full == 40
    finally:
        for n in nodes:
            await n.stop()
        proxy[0].stop()


async def test_a_large_outbox_goes_out_as_several_frames_in_order(tmp_path):
    nodes = await start_nodes(tmp_path, 2)
    try:
        sender, receiver = nodes[0].groups, nodes[1].groups
        sender.max_frame_bytes = 8 * 1024
        payload = bytes(batch(1, size=2000))
        for i in range(20):  # for a group node 1 does not have: counted as unknown there
            entry = Entry(1, i, i, payload)
            sender.send(77, AppendRequest(0, 1, 1, (i, 1), (entry,), 0, 0, i + 1))
        await until(lambda: receiver.stats.unknown_group == 20, 5, "20 messages received")
        assert receiver.stats.frames_received >= 20 * len(payload) // (8 * 1024)
        assert sender.stats.dropped_outbox_full == 0
    finally:
        for n in nodes:
            await n.stop()


async def test_at_most_max_elections_groups_campaign_at_once(tmp_path):
    server = RpcServer(IdentityBook(NodeIdentity(0, uuid.uuid4())))  # not listening
    clock = ManualClock()
    flusher = GroupCommit()
    flusher.start()
    groups = RaftGroups(0, server, server.peers, clock, max_elections=8)
    replicas: list[Consensus] = []
    logs: list[DiskLog] = []
    try:
        for gid in range(1, 41):  # peers 1 and 2 never answer: campaigns never end
            log = DiskLog.open(tmp_path / f"g{gid}", LogConfig(), clock)
            c = Consensus(
                gid, 0, log, flusher, voters=(1, 2, 0), transport=groups.transport(gid),
                clock=clock, rng=random.Random(gid),
            )  # fmt: skip
            groups.register(c)
            c.start()
            replicas.append(c)
            logs.append(log)
        for _ in range(100):  # 5 s of ticks: every election timer fires, some twice
            clock.advance(50)
            groups.tick()
            assert sum(c.campaigning for c in replicas) <= 8
        assert sum(c.campaigning for c in replicas) == 8
        assert groups.stats.elections_deferred > 0
    finally:
        await groups.close()
        for c in replicas:
            c.close()
        await flusher.stop()
        for log in logs:
            log.close()
        await server.close()
