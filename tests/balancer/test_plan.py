"""The partition balancer's planning (core.cluster.partition_balancer.plan): pure, no I/O."""

from __future__ import annotations

from collections import Counter

from core.cluster.partition_balancer import plan


def _counts(assignments, moves) -> Counter:
    goals = dict(assignments)
    goals.update(dict(moves))
    return Counter(n for nodes in goals.values() for n in nodes)


def test_a_new_node_takes_its_share_from_the_most_loaded() -> None:
    assignments = {("t", i): (0, 1, 2) for i in range(6)}  # 18 replicas, node 3 has none
    result = plan(assignments, (), [0, 1, 2, 3], targets=[3])
    counts = _counts(assignments, result.moves)
    assert counts[3] == 4 and max(counts.values()) - min(counts.values()) <= 1
    for key, new in result.moves:  # one replica replaced in place, never a node twice
        assert len(set(new)) == 3 and sum(a != b for a, b in zip(assignments[key], new)) == 1


def test_replicas_leave_an_evacuated_node_for_the_least_loaded() -> None:
    assignments = {("t", 0): (0, 1, 2), ("t", 1): (1, 2, 3), ("t", 2): (0, 2, 3)}
    result = plan(assignments, (), [0, 1, 2, 3], evacuate=[2])
    moved = dict(result.moves)
    assert set(moved) == set(assignments)
    assert all(2 not in nodes and len(set(nodes)) == 3 for nodes in moved.values())
    assert not result.stalled


def test_nowhere_to_go_is_a_stall_and_moving_partitions_are_left_alone() -> None:
    assignments = {("t", 0): (0, 1, 2), ("t", 1): (0, 1, 2)}
    stalled = plan(assignments, (), [0, 1, 2], evacuate=[2])
    assert stalled.stalled and not stalled.moves
    busy = plan(assignments, [("t", 0)], [0, 1, 2, 3], evacuate=[2])
    assert [k for k, _ in busy.moves] == [("t", 1)]


def test_the_limit_bounds_a_pass_and_a_balanced_cluster_plans_nothing() -> None:
    assignments = {("t", i): (0, 1, 2) for i in range(30)}
    assert len(plan(assignments, (), [0, 1, 2, 3], targets=[3], limit=5).moves) == 5
    even = {("t", i): ((i % 4), (i + 1) % 4, (i + 2) % 4) for i in range(8)}
    assert plan(even, (), [0, 1, 2, 3], targets=[0, 1, 2, 3]).moves == []


def test_the_disk_limit_is_crossed_up_at_the_limit_and_down_one_percent_below() -> None:
    from pathlib import Path

    from core.cluster.partition_balancer_disk import DiskTable, DiskWatcher

    limits = {"partition_autobalancing_max_disk_usage_percent": 50}
    watcher = DiskWatcher(None, DiskTable(), Path("."), limits.__getitem__)
    assert not watcher.wants_full(50.0, was_full=False)
    assert watcher.wants_full(50.5, was_full=False)
    assert watcher.wants_full(49.5, was_full=True)  # hysteresis: still full
    assert not watcher.wants_full(48.9, was_full=True)
    table = DiskTable()
    table.apply({"node_id": 3, "full": True})
    table.apply({"node_id": 3, "full": True})
    assert table.full == {3}
    table.apply({"node_id": 3, "full": False})
    assert table.full == set()


def test_a_partition_without_its_majority_stays_and_stalls() -> None:
    assignments = {("t", 0): (0, 1, 2), ("t", 1): (0, 3, 4)}
    result = plan(assignments, (), [0, 1, 2, 3, 4, 5, 6], evacuate=[1, 2], down=[1, 2])
    assert result.stalled and result.moves == []  # t/0 has only node 0 alive
    ok = plan(assignments, (), [0, 1, 2, 3, 4, 5, 6], evacuate=[2], down=[2])
    assert [k for k, _ in ok.moves] == [("t", 0)] and not ok.stalled
