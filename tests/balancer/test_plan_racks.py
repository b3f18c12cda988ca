"""The partition balancer's planning with rack awareness (enable_rack_awareness): pure, no I/O.

`plan(racks=...)` is what the balancer passes when the property is on (racks=None when off)."""

from __future__ import annotations

from core.cluster.partition_balancer import plan

RACKS = {0: "a", 1: "a", 2: "b", 3: "b", 4: "c"}


def _racks(nodes) -> set[str]:
    return {RACKS[n] for n in nodes}


def test_an_evacuated_replica_goes_to_an_unused_rack_only_when_rack_awareness_is_on() -> None:
    racks = {**RACKS, 5: "c"}
    # node 5 (rack c) is evacuated; node 4, the other one in rack c, is the most loaded
    assignments = {("t", 0): (0, 2, 5), ("t", 1): (1, 3, 4), ("t", 2): (0, 3, 4)}
    active = [0, 1, 2, 3, 4, 5]
    off = dict(plan(assignments, (), active, evacuate=[5]).moves)
    on = dict(plan(assignments, (), active, evacuate=[5], racks=racks).moves)
    assert off == {("t", 0): (0, 2, 1)}  # off: the least loaded, a second replica in rack a
    assert on == {("t", 0): (0, 2, 4)}  # on: rack c, however loaded


def test_continuous_repair_spreads_partitions_over_the_available_racks() -> None:
    assignments = {("t", 0): (0, 1, 2), ("t", 1): (2, 3, 4), ("t", 2): (0, 2, 4)}
    result = plan(assignments, (), [0, 1, 2, 3, 4], racks=RACKS, repair=True)
    moved = dict(result.moves)
    assert set(moved) == {("t", 0), ("t", 1)}  # t/2 already spans a, b and c
    assert all(_racks(nodes) == {"a", "b", "c"} for nodes in moved.values())
    assert moved[("t", 0)][:1] == (0,) and moved[("t", 1)][:1] == (2,)  # first of a rack stays
    # no repair when off, when not asked (node_add mode), or with no rack to spare
    assert not plan(assignments, (), [0, 1, 2, 3, 4], repair=True).moves
    assert not plan(assignments, (), [0, 1, 2, 3, 4], racks=RACKS).moves
    assert not plan(assignments, (), [0, 1, 2, 3], racks=RACKS, repair=True).moves


def test_repair_leaves_moving_partitions_and_partitions_without_a_majority() -> None:
    assignments = {("t", 0): (0, 1, 2), ("t", 1): (0, 1, 3)}
    result = plan(assignments, [("t", 0)], [2, 3, 4], down=[0, 1], racks=RACKS, repair=True)
    assert not result.moves


def test_a_fill_move_never_lowers_the_racks_a_partition_spans() -> None:
    racks = {0: "a", 1: "b", 2: "c", 3: "a"}  # node 3 joins in rack a
    assignments = {("t", i): (0, 1, 2) for i in range(6)}
    off = plan(assignments, (), [0, 1, 2, 3], targets=[3]).moves
    assert any(nodes != (3, 1, 2) for _, nodes in off)  # off: nodes 1 and 2 give too
    on = plan(assignments, (), [0, 1, 2, 3], targets=[3], racks=racks).moves
    assert on and all(nodes == (3, 1, 2) for _, nodes in on)  # only node 0 (rack a) gives
    assert all(len({racks[n] for n in nodes}) == 3 for _, nodes in on)


def test_repair_stays_within_the_limit() -> None:
    assignments = {("t", i): (0, 1, 2) for i in range(5)}
    result = plan(assignments, (), [0, 1, 2, 3, 4], racks=RACKS, repair=True, limit=2)
    assert [key for key, _ in result.moves] == [("t", 0), ("t", 1)]
    assert [nodes for _, nodes in result.moves] == [(0, 4, 2), (0, 4, 2)]
