"""Replica placement (core.cluster.placement): spread, leaders, racks, explicit assignments."""

from __future__ import annotations

from collections import Counter

import pytest

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.placement import Node, duplicate_rack_replicas, place, replacement, validate
from core.cluster.topic_table import TopicTable


def nodes(*ids: int, racks: dict[int, str] | None = None) -> list[Node]:
    return [Node(i, (racks or {}).get(i)) for i in ids]


def test_rf3_on_three_nodes_spreads_preferred_leaders_evenly():
    out = place(nodes(0, 1, 2), partitions=6, replication_factor=3)
    assert all(sorted(a) == [0, 1, 2] for a in out)
    assert Counter(a[0] for a in out) == {0: 2, 1: 2, 2: 2}


def test_rf1_spreads_replicas_evenly_over_five_nodes():
    out = place(nodes(0, 1, 2, 3, 4), partitions=10, replication_factor=1)
    assert Counter(a[0] for a in out) == {n: 2 for n in range(5)}


def test_rf3_over_five_nodes_balances_replica_counts():
    out = place(nodes(0, 1, 2, 3, 4), partitions=5, replication_factor=3)
    counts = Counter(n for a in out for n in a)
    assert set(counts.values()) == {3}  # 15 replicas over 5 nodes
    assert all(len(set(a)) == 3 for a in out)


def test_existing_load_is_counted():
    table = TopicTable()
    table.apply_create(
        {
            "name": "a",
            "topic_id": "x",
            "partitions": 2,
            "replication_factor": 1,
            "assignments": [[0], [0]],
        },
        offset=5,
    )
    replicas, leaders = table.replica_counts()
    out = place(nodes(0, 1, 2), 2, 1, replicas, leaders)
    assert sorted(a[0] for a in out) == [1, 2]


def test_racks_are_spread_before_load_with_rack_awareness():
    racks = {0: "a", 1: "a", 2: "b", 3: "c"}
    for assignment in place(nodes(0, 1, 2, 3, racks=racks), 8, 3, rack_aware=True):
        assert len({racks[n] for n in assignment}) == 3


def test_rack_awareness_off_ignores_racks():
    """enable_rack_awareness off (the default): the placement is the one without racks, load
    only, so some partitions get two replicas in rack a; on, none does."""
    racks = {0: "a", 1: "a", 2: "b", 3: "c"}
    off = place(nodes(0, 1, 2, 3, racks=racks), 8, 3)
    assert off == place(nodes(0, 1, 2, 3), 8, 3)
    assert Counter(n for a in off for n in a) == {n: 6 for n in range(4)}  # load only
    assert sum(len({racks[n] for n in a}) < 3 for a in off) == 4  # {0, 1, x}: 2 in rack a
    on = place(nodes(0, 1, 2, 3, racks=racks), 8, 3, rack_aware=True)
    assert all(len({racks[n] for n in a}) == 3 for a in on)
    assert Counter(n for a in on for n in a) == {0: 4, 1: 4, 2: 8, 3: 8}


def test_rack_awareness_with_fewer_racks_than_replicas_still_places_them_all():
    """A soft constraint, as Redpanda's distinct_rack_preferred: two racks, RF 3: every
    partition spans both racks and the third replica goes to the least loaded."""
    racks = {0: "a", 1: "a", 2: "a", 3: "b", 4: "b", 5: "b"}
    on = place(nodes(*racks, racks=racks), 12, 3, rack_aware=True)
    assert all(len(a) == 3 and {racks[n] for n in a} == {"a", "b"} for a in on)
    assert set(Counter(n for a in on for n in a).values()) == {6}  # 36 replicas over 6 nodes
    off = place(nodes(*racks, racks=racks), 12, 3)
    assert any(len({racks[n] for n in a}) == 1 for a in off)


def test_a_node_without_a_rack_is_never_a_rack_conflict():
    racks = {0: "a", 1: "a"}  # node 2 names no rack
    on = place(nodes(0, 1, 2, racks=racks), 3, 2, rack_aware=True)
    assert all(2 in a for a in on)  # the partner of a rack-a node is the rackless one


def test_replacement_prefers_an_unused_rack_only_with_racks():
    racks = {0: "a", 1: "a", 2: "b", 3: "b", 4: "c"}
    load = {0: 0, 1: 0, 2: 5, 3: 5, 4: 9}
    assert replacement([0, 1, 2, 3, 4], [2, 3], load, None) == 0  # off: least loaded
    assert replacement([0, 1, 2, 3, 4], [0, 2], load, None) == 1
    assert replacement([0, 1, 2, 3, 4], [0, 2], load, racks) == 4  # on: rack c is unused
    assert replacement([0, 1, 2, 3], [0, 2], load, racks) == 1  # no unused rack: load
    assert replacement([0, 2], [0, 2], load, racks) is None
    assert duplicate_rack_replicas((0, 2, 1, 3, 4), racks) == [1, 3]


def test_rf_above_member_count_is_refused():
    with pytest.raises(ClusterError) as caught:
        place(nodes(0), 1, 3)
    assert caught.value.errc == ClusterErrc.invalid_replication_factor


def test_placement_is_deterministic():
    assert place(nodes(3, 1, 2), 7, 3) == place(nodes(1, 2, 3), 7, 3)


@pytest.mark.parametrize(
    "assignments",
    [[[0, 0, 1]], [[0, 1], [0]], [[0, 9]], [[]]],
    ids=["duplicate", "uneven", "unknown-node", "empty"],
)
def test_bad_explicit_assignments_are_refused(assignments):
    with pytest.raises(ClusterError):
        validate(assignments, members=[0, 1, 2])


def test_explicit_assignment_count_must_match_partitions():
    with pytest.raises(ClusterError):
        validate([[0], [1]], members=[0, 1], partitions=3)
    assert validate([[2, 0, 1]], members=[0, 1, 2], partitions=1) == [(2, 0, 1)]


def test_logs_without_assignments_put_partitions_on_the_default_node():
    table = TopicTable(default_node_id=7)
    table.apply_create(
        {"name": "old", "topic_id": "x", "partitions": 2, "replication_factor": 1}, offset=3
    )
    table.apply_create_partitions({"name": "old", "count": 3}, offset=9)
    meta = table.get("old")
    assert meta is not None
    assert meta.assignments == [(7,), (7,), (7,)] and meta.partition_revisions == [3, 3, 9]
