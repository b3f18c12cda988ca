"""The cluster properties raft_election_timeout_ms and raft_heartbeat_interval_ms take
effect on every Raft group of a node (RaftGroups(config=cluster_config.get), here through
use_config), at register and when the property changes: three nodes in one process with
real RpcServers, each with its own ClusterConfigStore as every broker has."""

from __future__ import annotations

import asyncio
import time

from core.config.cluster_properties import ClusterConfigStore
from core.raft.state import RaftConfig
from tests.raft_groups.nodes import Node, leader_of, start_nodes, until

VOTERS = (0, 1, 2)


async def _stop(nodes: list[Node]) -> None:
    for node in nodes:
        await node.stop()


def _configure(nodes: list[Node]) -> list[ClusterConfigStore]:
    stores = []
    for n in nodes:
        store = ClusterConfigStore()
        n.groups.use_config(store.get)
        stores.append(store)
    return stores


async def _light_per_s(node: Node, seconds: float) -> float:
    sent = node.groups.stats.light_sent
    await asyncio.sleep(seconds)
    return (node.groups.stats.light_sent - sent) / seconds


async def test_raft_heartbeat_interval_ms_changes_the_heartbeat_rate_live(tmp_path):
    nodes = await start_nodes(tmp_path, 3)
    try:
        stores = _configure(nodes)
        assert all(n.groups.timeouts == (1500, 150) for n in nodes)  # Redpanda's defaults
        for n in nodes:  # built with other timings: the properties win at register
            c = n.add_group(1, VOTERS, RaftConfig(heartbeat_interval_ms=1000))
            assert c.core is not None and c.core.config.heartbeat_interval_ms == 150
        await until(lambda: leader_of(nodes, 1) is not None, 5, "a leader")
        leader = leader_of(nodes, 1)
        assert leader is not None
        node = nodes[leader.node_id]
        await until(lambda: node.groups.stats.light_sent > 0, 3, "light heartbeats")
        # idle: every 3 intervals (RaftGroups' idle_heartbeat_factor), at most 1500 / 4 ms
        default_rate = await _light_per_s(node, 1.0)  # 2 followers every 375 ms: ~5/s
        for store in stores:
            store.apply({"raft_heartbeat_interval_ms": 30}, [], version=1)
        await until(lambda: all(n.groups.timeouts == (1500, 30) for n in nodes), 1, "applied")
        fast_rate = await _light_per_s(node, 1.0)  # every 90 ms: ~22/s
        print(f"light heartbeats/s: {default_rate:.0f} at 150 ms, {fast_rate:.0f} at 30 ms")
        assert 3 <= default_rate <= 8, default_rate
        assert fast_rate >= 3 * default_rate, (default_rate, fast_rate)
        assert leader_of(nodes, 1) is leader  # no election on the way
    finally:
        await _stop(nodes)


async def test_raft_election_timeout_ms_shortens_failover(tmp_path):
    """With raft_election_timeout_ms 200 (heartbeats 40 ms) a new leader follows a stopped
    one within a second; at the default 1500 ms it takes 1.5-3 s and more
    (tests/raft_groups/test_raft_groups.py)."""
    nodes = await start_nodes(tmp_path, 3)
    try:
        for n in nodes:
            n.add_group(1, VOTERS, RaftConfig())
        stores = _configure(nodes)
        for store in stores:  # a change after the groups exist
            store.apply(
                {"raft_election_timeout_ms": 200, "raft_heartbeat_interval_ms": 40}, [], version=1
            )
        await until(lambda: all(n.groups.timeouts == (200, 40) for n in nodes), 1, "applied")
        await until(lambda: leader_of(nodes, 1) is not None, 5, "a leader")
        old = leader_of(nodes, 1)
        assert old is not None
        for n in nodes:
            c = n.replicas[1]
            assert c.core is not None and c.core.config.election_timeout_ms == 200
        await asyncio.sleep(0.3)  # followers' timers re-armed at the new timeout
        await nodes[old.node_id].stop()
        stopped = time.monotonic()
        await until(lambda: leader_of(nodes, 1) is not None, 5, "a new leader")
        took_s = time.monotonic() - stopped
        print(f"failover at raft_election_timeout_ms 200: {took_s * 1000:.0f} ms")
        assert took_s < 1.0, took_s
    finally:
        await _stop(nodes)
