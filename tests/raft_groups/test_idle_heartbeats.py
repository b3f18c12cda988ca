"""Idle groups heartbeat less often (RaftConfig.idle_heartbeat_factor, 3 under RaftGroups): a
leader whose followers all got light heartbeats waits 3 intervals (at most a quarter of the
election timeout) before its next round; any append puts the next round back at one interval.

Checked on the seeded Raft simulation of tests/support/raft_sim.py (lossy, duplicating,
reordering network, partitions, crashes, transfers; its invariants after every step), with
every seed using light heartbeats and the idle factor, and over real RPC (RaftGroups sets it)."""

from __future__ import annotations

import asyncio
import os

from core.cluster.raft_groups import IDLE_HEARTBEAT_FACTOR
from core.raft.consensus import QUORUM_ACK
from tests.raft_groups.nodes import FAST, batch, group_over_links, leader_of
from tests.support.raft_sim import (
    InvariantError,
    World,
    await_serving_leader,
    chaos_step,
    check_leader_holds_acked,
    heal_everything,
)

SEEDS = range(int(os.environ.get("IDLE_SIM_SEEDS", "300")))
STEPS = 120
LEADER_BOUND_MS = 4 * 1500


def _world(seed: int, nodes: int, **kw) -> World:
    world = World(seed, nodes, light_heartbeats=True, **kw)
    world.config.idle_heartbeat_factor = 3  # one RaftConfig object shared by every node
    return world


def _settle(world: World) -> None:
    heal_everything(world)
    await_serving_leader(world, LEADER_BOUND_MS)
    check_leader_holds_acked(world)


def test_the_raft_simulation_holds_with_idle_heartbeats_every_three_intervals() -> None:
    for seed in SEEDS:
        nodes = 3 if seed % 2 == 0 else 5
        world = _world(seed, nodes, crashes=seed % 3 != 0, relaxed=seed % 3 == 0)
        try:
            for _ in range(STEPS):
                chaos_step(world)
            _settle(world)
        except (InvariantError, AssertionError) as exc:
            raise AssertionError(f"idle heartbeat simulation: seed {seed}: {exc}") from exc


def test_an_idle_leader_heartbeats_every_three_intervals_and_keeps_leading() -> None:
    world = _world(1, 3, crashes=False, relaxed=False)
    world.drop_rate = world.dup_rate = 0.0
    world.advance(5000)
    leader = world.leader()
    assert leader is not None
    for _ in range(5):
        world.propose()
    world.advance(1000)
    term, sent = leader.core.term, world.light_sent
    world.advance(20_000)
    rounds = 20_000 // (3 * world.config.heartbeat_interval_ms)  # 375 ms: 1500 / 4
    assert (rounds - 2) * 2 <= world.light_sent - sent <= (rounds + 2) * 2 * 450 // 375
    assert world.leader() is leader and leader.core.term == term and len(world.leaders) == 1
    assert all(n.core.commit == leader.end == n.core.visible for n in world.nodes.values())
    world.propose()  # busy again: the next round within one interval
    assert leader.core.heartbeat_due_ms <= world.now_ms + world.config.heartbeat_interval_ms


async def test_raft_groups_heartbeat_idle_groups_less_often(tmp_path):
    async with group_over_links(tmp_path, 3, 1, FAST) as (nodes, _links):
        leader = leader_of(nodes, 1)
        assert leader is not None and leader.core is not None
        assert leader.core.config.idle_heartbeat_factor == IDLE_HEARTBEAT_FACTOR
        appended = leader.replicate(batch(1), QUORUM_ACK)
        assert appended.done is not None
        await asyncio.wait_for(appended.done, 5)
        await asyncio.sleep(1.0)  # idle: light rounds every 125 ms (FAST: 500 / 4)
        groups = nodes[leader.node_id].groups
        before = groups.stats.light_sent
        await asyncio.sleep(2.0)
        light = groups.stats.light_sent - before
        # every 50 ms would be ~80 (2 followers); every 125 ms ~32
        assert 16 <= light <= 50, light
        assert leader.is_leader and all(not n.replicas[1].campaigning for n in nodes)
