"""RaftConfig.start_limit (core.raft.log_start), RaftCore driven by hand: a replica applies a
start only up to its limit (the controller's own latest durable snapshot + 1), applies the
rest at a later request once its limit moved, and a leader held back by its limit serves at
it; the controller's truncation goal (core.cluster.controller_truncation) over seeded member
positions never passes what a member holds, the snapshot + 1 or the commit."""

from __future__ import annotations

import random

from core.cluster.controller_truncation import truncation_goal
from tests.unit.core.raft.test_log_start import Node, cluster, run

SEED = 20261202


def limit(nodes: dict[int, Node], limits: dict[int, int]) -> None:
    for i, n in nodes.items():
        n.core.config.start_limit = lambda i=i: limits[i]


def test_a_follower_applies_the_start_up_to_its_limit_then_the_rest_later() -> None:
    nodes = cluster()  # node 0 leads; offsets 0..9 committed everywhere
    limits = {0: 8, 1: 4, 2: 10}
    limit(nodes, limits)
    nodes[0].core.propose_start(8)
    run(nodes)
    assert [n.start for n in nodes.values()] == [8, 4, 8]
    limits[1] = 6  # node 1 wrote its next snapshot
    nodes[0].core.heartbeat_round()
    run(nodes)
    assert nodes[1].start == 6  # at the next request, still only up to its limit
    limits[1] = 100
    nodes[0].core.heartbeat_round()
    run(nodes)
    assert nodes[1].start == 8 and nodes[1].core.log.start_offset == 8


def test_a_partition_without_a_limit_is_unchanged() -> None:
    nodes = cluster()
    nodes[0].core.propose_start(7)
    run(nodes)
    assert [n.start for n in nodes.values()] == [7, 7, 7]


def test_a_leader_held_back_by_its_limit_serves_at_it() -> None:
    nodes = cluster()
    limits = {0: 8, 1: 8, 2: 3}
    limit(nodes, limits)
    nodes[0].core.propose_start(8)
    run(nodes)
    assert [n.start for n in nodes.values()] == [8, 8, 3]
    del nodes[0]  # node 2 leads next: its voter node 1 reports start 8, its limit is 3
    nodes[2].core.campaign(transfer=True)
    run(nodes)
    new = nodes[2].core
    assert new.start_goal == 8 and new.log.start_offset == 3
    assert new.serving  # at its own limit: the start it may apply
    limits[2] = 9
    new.heartbeat_round()
    run(nodes)
    assert new.log.start_offset == 8  # adopted once its limit allows


def test_the_truncation_goal_over_seeded_positions() -> None:
    rng = random.Random(SEED)
    proposed = 0
    for _ in range(5000):
        start = rng.randrange(0, 50)
        commit = start + rng.randrange(0, 100)
        snapshot = rng.randrange(-1, commit)  # at or below the last committed offset
        ends = {
            m: (None if rng.random() < 0.05 else rng.randrange(start, commit + 20))
            for m in range(rng.randrange(0, 5))
        }
        goal = truncation_goal(snapshot, commit, start, ends)
        if snapshot < 0 or any(e is None for e in ends.values()):
            assert goal is None  # no snapshot, or a member not heard from in this term
            continue
        best = min([snapshot + 1, commit, *(e for e in ends.values() if e is not None)])
        if best <= start:
            assert goal is None
            continue
        proposed += 1
        assert goal == best
        assert goal <= snapshot + 1 and goal <= commit
        assert all(e is not None and goal <= e for e in ends.values())  # nobody needs a snapshot
    assert proposed > 1000
