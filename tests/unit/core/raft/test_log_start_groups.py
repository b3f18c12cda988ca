"""The replicated log start over real RPC and DiskLogs (three in-process nodes,
tests/raft_groups/nodes.py): a proposal resolves once a majority applied it, the third
replica follows; a replica cut off while the start moved past its log end installs a
snapshot when the links heal (its log restarts empty at the leader's start, then matches
the leader byte for byte) and keeps that start when reopened."""

from __future__ import annotations

import asyncio

from core.common.clock import SystemClock
from core.raft.consensus import QUORUM_ACK
from core.raft.errors import RaftErrc, RaftError
from core.raft.state import RaftConfig
from core.storage.log import DiskLog, LogConfig
from tests.raft_groups.nodes import batch, leader_of, start_nodes, until
from tests.support.tcp_proxy import TcpProxy

VOTERS = (0, 1, 2)
FAST = RaftConfig(election_timeout_ms=500, heartbeat_interval_ms=50)


async def write(leader, first: int, count: int) -> int:
    appended = [leader.replicate(batch(first + i), QUORUM_ACK) for i in range(count)]
    await asyncio.wait_for(asyncio.gather(*(a.done for a in appended)), 5)
    return appended[-1].last_offset + 1


async def test_a_replica_behind_the_start_installs_a_snapshot(tmp_path):
    proxies: dict[tuple[int, int], TcpProxy] = {}

    def address(src: int, dst: int, port: int) -> tuple[str, int]:
        proxy = proxies[(src, dst)] = TcpProxy("127.0.0.1", port).start()
        return "127.0.0.1", proxy.port

    nodes = await start_nodes(tmp_path, 3, address=address)
    try:
        for n in nodes:
            n.add_group(1, VOTERS, FAST)
        await until(lambda: leader_of(nodes, 1) is not None, 5, "a leader")
        leader = leader_of(nodes, 1)
        assert leader is not None
        await write(leader, 0, 5)
        behind = next(n for n in nodes if n.node_id != leader.node_id).replicas[1]
        await until(lambda: behind.commit_offset == 5, 5, "the follower has 0..4")
        for (src, dst), proxy in proxies.items():
            if behind.node_id in (src, dst):
                proxy.close_links()
        end = await write(leader, 5, 5)
        waiter = leader.propose_start(8)
        assert waiter is not None and leader.log.start_offset == 0  # not before a majority
        await asyncio.wait_for(waiter, 5)
        assert leader.log.start_offset == 8 and behind.log.next_offset == 5
        others = [n.replicas[1] for n in nodes if n.replicas[1] not in (leader, behind)]
        assert others[0].log.start_offset == 8  # the majority's other half

        for proxy in proxies.values():
            proxy.forward()
        await until(lambda: behind.commit_offset == end, 10, "the snapshot and the rest")
        assert behind.log.start_offset == 8 and behind.log.next_offset == end
        assert behind.log.read_bytes(8, 1 << 20, end) == leader.log.read_bytes(8, 1 << 20, end)
        assert behind.term_at(7) == leader.term_at(7)
    finally:
        for n in nodes:
            await n.stop()
        for proxy in proxies.values():
            proxy.stop()
    reopened = DiskLog.open(nodes[behind.node_id].logs[1].directory, LogConfig(), SystemClock())
    try:
        assert (reopened.start_offset, reopened.next_offset) == (8, end)
    finally:
        reopened.close()


async def test_a_start_no_majority_holds_is_not_applied_and_fails_on_step_down(tmp_path):
    proxies: dict[tuple[int, int], TcpProxy] = {}

    def address(src: int, dst: int, port: int) -> tuple[str, int]:
        proxy = proxies[(src, dst)] = TcpProxy("127.0.0.1", port).start()
        return "127.0.0.1", proxy.port

    nodes = await start_nodes(tmp_path, 3, address=address)
    try:
        for n in nodes:
            n.add_group(1, VOTERS, FAST)
        await until(lambda: leader_of(nodes, 1) is not None, 5, "a leader")
        leader = leader_of(nodes, 1)
        assert leader is not None
        await write(leader, 0, 5)
        for (src, dst), proxy in proxies.items():
            if leader.node_id in (src, dst):
                proxy.close_links()
        waiter = leader.propose_start(3)
        assert waiter is not None
        await asyncio.sleep(0.2)
        assert leader.log.start_offset == 0 and leader.log.read_bytes(0, 1 << 20, 5)
        try:
            await asyncio.wait_for(waiter, 5)
            raise AssertionError("a start without a majority was applied")
        except RaftError as exc:
            assert exc.errc == RaftErrc.not_leader  # stepped down: the client retries
        assert leader.log.start_offset == 0
    finally:
        for n in nodes:
            await n.stop()
        for proxy in proxies.values():
            proxy.stop()
