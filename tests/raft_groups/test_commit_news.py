"""Followers learn the leader's commit offset at once (Ready.commit_news, coalesced per
loop iteration by RaftGroups), not at the next heartbeat: three nodes in one process with
real RpcServers, heartbeats every 30 s so only the commit news can carry it."""

from __future__ import annotations

import asyncio
import time

from core.raft.consensus import QUORUM_ACK
from core.raft.state import RaftConfig
from tests.raft_groups.nodes import Node, batch, leader_of, start_nodes, until

VOTERS = (0, 1, 2)
# no heartbeat within the test: a follower learns a commit from the commit news only
QUIET = RaftConfig(election_timeout_ms=60_000, heartbeat_interval_ms=30_000)


async def _stop(nodes: list[Node]) -> None:
    for node in nodes:
        await node.stop()


async def test_followers_learn_each_commit_within_milliseconds(tmp_path):
    nodes = await start_nodes(tmp_path, 3)
    try:
        for n in nodes:
            n.add_group(1, VOTERS, QUIET)
        await until(lambda: leader_of(nodes, 1) is not None, 5, "a leader")
        leader = leader_of(nodes, 1)
        assert leader is not None
        followers = [n.replicas[1] for n in nodes if n.replicas[1] is not leader]
        await until(lambda: all(f.commit_offset == leader.commit_offset for f in followers), 5)
        lags_ms = []
        for i in range(40):
            appended = leader.replicate(batch(i), QUORUM_ACK)
            assert appended.done is not None
            await asyncio.wait_for(appended.done, 5)
            committed = time.monotonic()
            end = appended.last_offset + 1
            for f in followers:
                await until(lambda f=f: f.commit_offset >= end, 2, "follower commit")
                lags_ms.append((time.monotonic() - committed) * 1000)
        lags_ms.sort()
        p50, worst = lags_ms[len(lags_ms) // 2], lags_ms[-1]
        print(f"follower commit lag after leader commit: p50 {p50:.1f} ms, max {worst:.1f} ms")
        assert p50 < 50, lags_ms  # 136 ms at 150 ms heartbeats before commit news
    finally:
        await _stop(nodes)


async def test_commit_listeners_and_waiters_on_leader_and_followers(tmp_path):
    """Every replica's commit listeners hear the commit moving (increasing, ending at the
    leader's), and a follower's wait_committed for the last write resolves without polling."""
    nodes = await start_nodes(tmp_path, 3)
    heard: dict[int, list[int]] = {n.node_id: [] for n in nodes}
    try:
        for n in nodes:
            n.add_group(1, VOTERS, QUIET).add_commit_listener(heard[n.node_id].append)
        await until(lambda: leader_of(nodes, 1) is not None, 5, "a leader")
        leader = leader_of(nodes, 1)
        assert leader is not None
        followers = [n.replicas[1] for n in nodes if n.replicas[1] is not leader]
        end = leader.log.next_offset + 10
        waiting = [f.wait_committed(end - 1) for f in followers]
        before = [f.wait_committed(end - 6) for f in followers]
        pending = [leader.replicate(batch(i), QUORUM_ACK) for i in range(10)]
        assert pending[-1].last_offset + 1 == end
        await asyncio.wait_for(asyncio.gather(*waiting, *before), 5)
        assert all(f.commit_offset == end for f in followers)
        for i, calls in heard.items():
            assert calls and calls[-1] == end and calls == sorted(set(calls)), (i, calls)
    finally:
        await _stop(nodes)
