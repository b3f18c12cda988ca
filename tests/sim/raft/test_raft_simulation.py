"""Seeded simulation of the Raft core with 3 and 5 nodes: a lossy, duplicating,
reordering network with partitions, crashes that lose unflushed data, leadership
transfers; invariants checked after every step (tests/support/raft_sim.py):
at most one leader per term, log matching, the committed prefix never changes, every
acknowledged write is in every later leader's log, the high watermark a client sees
(fenced by leader epoch) never decreases, and a leader is elected within a bound once
the network heals. Reproduce a failure with the seed it prints:
    SIM_SEED=<seed> pytest tests/sim/raft
Run more seeds with SIM_SEEDS=<n> (default 2000).
"""

from __future__ import annotations

import os

import pytest

from core.raft.types import Ready
from tests.support.raft_sim import (
    InvariantError,
    SimNode,
    await_a_write,
    await_serving_leader,
    chaos_step,
    check_leader_holds_acked,
    heal_everything,
)
from tests.support.raft_sim import World as BaseWorld

STEPS = 120
# After healing, a serving leader within four election timeouts (a randomized timeout is
# 1.5-3 s, then prevote and vote; 600 seeds took at most 3.3 s), a write acked soon after.
LEADER_BOUND_MS = 4 * 1500
WRITE_BOUND_MS = 10_000
if "SIM_SEED" in os.environ:
    SEEDS = [int(os.environ["SIM_SEED"])]
else:
    SEEDS = list(range(int(os.environ.get("SIM_SEEDS", "2000"))))


class World(BaseWorld):
    """Drives commit news (Ready.commit_news) as RaftGroups does: the leader tells its
    followers its new commit at once or, for a seeded share, at the next step (the end of a
    loop iteration), after whatever else happened meanwhile."""

    def __init__(self, seed: int, nodes: int, *, crashes: bool, relaxed: bool) -> None:
        super().__init__(seed, nodes, crashes=crashes, relaxed=relaxed)
        self.defer_news = self.rng.random() < 0.5
        self.news: set[int] = set()
        self.news_sent = 0

    def _apply(self, node: SimNode, ready: Ready) -> None:
        super()._apply(node, ready)
        if ready.commit_news:
            if self.defer_news:
                self.news.add(node.node_id)
            else:
                self.news_sent += 1
                node.core.send_commit()  # its Ready is taken by process()'s loop

    def complete_flushes(self) -> None:
        super().complete_flushes()
        news, self.news = self.news, set()
        for node_id in sorted(news):
            node = self.nodes[node_id]
            if node.alive:
                self.news_sent += 1
                node.core.send_commit()
                self.process(node)


def settle(world: World) -> None:
    """Heal everything: a serving leader with everything committed within the bound, and
    a new write acknowledged within it too."""
    heal_everything(world)
    await_serving_leader(world, LEADER_BOUND_MS)
    await_a_write(world, WRITE_BOUND_MS)
    check_leader_holds_acked(world)


def run(seed: int) -> World:
    nodes = 3 if seed % 2 == 0 else 5
    world = World(seed, nodes, crashes=seed % 3 != 0, relaxed=seed % 3 == 0)
    try:
        for _ in range(STEPS):
            chaos_step(world)
        settle(world)
    except (InvariantError, AssertionError) as exc:
        raise AssertionError(
            f"raft simulation failed: SIM_SEED={seed} ({nodes} nodes): {exc}"
        ) from exc
    return world


# The seeds in chunks, each its own test: one long test would hold its worker past the
# per-test timeout on a loaded host; the chunks of one module still share a worker.
CHUNKS = 8


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_raft_simulation(chunk: int) -> None:
    size = -(-len(SEEDS) // CHUNKS)
    seeds = SEEDS[chunk * size : (chunk + 1) * size]  # consecutive: every seed % k mixes
    if not seeds:
        pytest.skip("SIM_SEED names one seed: chunk 0 runs it")
    acked = elections = light = news = 0
    for seed in seeds:
        world = run(seed)
        acked += world.acked_count
        elections += len(world.leaders)
        light += world.light_sent
        news += world.news_sent
    assert acked > len(seeds) and elections >= len(seeds) and news > 0
    assert light > 0 or len(seeds) == 1  # half the seeds run with light heartbeats


@pytest.mark.parametrize("nodes", [3, 5])
def test_a_quiet_cluster_elects_one_leader_and_commits(nodes: int) -> None:
    world = World(1, nodes, crashes=False, relaxed=False)
    world.drop_rate = world.dup_rate = 0.0
    world.advance(5000)
    leader = world.leader()
    assert leader is not None and leader.core.serving
    for _ in range(10):
        world.propose()
    world.advance(2000)  # message delays up to 200 ms reorder appends: a few rewinds
    assert world.acked_count == 10
    assert all(n.end == leader.end for n in world.nodes.values())
    assert all(n.core.commit == leader.end for n in world.nodes.values())


@pytest.mark.parametrize("nodes", [3, 5])
def test_an_idle_leader_keeps_its_followers_with_light_heartbeats(nodes: int) -> None:
    """Once the followers hold, flushed and know the commit of everything, the leader's
    heartbeats are light; it stays leader of the same term and the followers' commit index
    and high watermark are the leader's."""
    world = World(1, nodes, crashes=False, relaxed=False)
    assert world.config.light_heartbeats
    world.drop_rate = world.dup_rate = 0.0
    world.advance(5000)
    leader = world.leader()
    assert leader is not None
    for _ in range(5):
        world.propose()
    world.advance(1000)
    term, sent = leader.core.term, world.light_sent
    world.advance(20_000)  # about 130 heartbeat rounds
    rounds = 20_000 // world.config.heartbeat_interval_ms
    assert world.light_sent - sent >= (rounds - 2) * (nodes - 1)
    assert world.leader() is leader and leader.core.term == term and len(world.leaders) == 1
    assert all(n.core.commit == leader.end == n.core.visible for n in world.nodes.values())


@pytest.mark.parametrize("defer", [False, True])
def test_followers_learn_each_commit_without_waiting_for_a_heartbeat(defer: bool) -> None:
    """The leader's commit news reaches every follower within a message delay plus its own
    fdatasync (here at most 5 + 20 ms), not at the next heartbeat (150 ms)."""
    world = World(3, 3, crashes=False, relaxed=False)
    world.drop_rate = world.dup_rate = 0.0
    world.delay_ms = (1, 5)
    world.defer_news = defer
    world.advance(5000)
    leader = world.leader()
    assert leader is not None
    lags = []
    for _ in range(20):
        world.propose()
        end = leader.end
        while leader.core.commit < end:
            world.advance(1)
        committed_ms = world.now_ms
        while any(n.core.commit < end for n in world.nodes.values()):
            world.advance(1)
        lags.append(world.now_ms - committed_ms)
        world.advance(world.rng.randint(0, 200))
    assert max(lags) <= 30, lags
    assert world.leader() is leader and len(world.leaders) == 1
