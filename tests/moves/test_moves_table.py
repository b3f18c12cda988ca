"""The moves table's commands as every node applies them (no processes): start, refusals,
cancel, finish, force-cancel, deletion of the topic, and the snapshot round trip; the
decommission table's commands and its members removal."""

from __future__ import annotations

from core.cluster.decommission import DecommissionTable
from core.cluster.members import Members
from core.cluster.moves import CANCELLING, MovesTable
from core.cluster.topic_table import TopicTable


def table() -> tuple[TopicTable, MovesTable]:
    topics = TopicTable()
    topics.apply_create(
        {
            "name": "t",
            "topic_id": "id",
            "partitions": 2,
            "replication_factor": 3,
            "assignments": [[0, 1, 2], [1, 2, 0]],
        },
        5,
    )
    return topics, MovesTable(topics)


def update(moves: MovesTable, replicas: list[int], offset: int, revision: int = 5) -> None:
    payload = {"topic": "t", "partition": 0, "revision": revision, "replicas": replicas, "id": "x"}
    moves.apply_update(payload, offset)


def test_update_cancel_finish():
    topics, moves = table()
    heard = []
    moves.subscribe(lambda key, move: heard.append((key, move and move.goal)))
    update(moves, [1, 2, 3], 10)
    move = moves.get("t", 0)
    assert move is not None and move.adding == (3,) and move.removing == (0,)
    assert moves.hosts("t", 0) == (0, 1, 2, 3) and moves.hosts("t", 1) == (1, 2, 0)
    update(moves, [0, 1, 3], 11)  # a second move of the same partition: refused
    update(moves, [1, 2, 3], 12, revision=6)  # another incarnation of the partition: refused
    assert moves.get("t", 0).target == (1, 2, 3) and moves.get("t", 0).started_offset == 10
    moves.apply_finish({"topic": "t", "partition": 0, "replicas": [0, 1, 2]}, 13)  # not the goal
    assert moves.get("t", 0) is not None
    moves.apply_cancel({"topic": "t", "partition": 0}, 14)
    assert moves.get("t", 0).state == CANCELLING and moves.get("t", 0).goal == (0, 1, 2)
    moves.apply_finish({"topic": "t", "partition": 0, "replicas": [1, 2, 3]}, 15)  # stale
    assert moves.get("t", 0) is not None
    moves.apply_finish({"topic": "t", "partition": 0, "replicas": [0, 1, 2]}, 16)
    assert moves.get("t", 0) is None and topics.get("t").replicas(0) == (0, 1, 2)
    assert heard == [(("t", 0), (1, 2, 3)), (("t", 0), (0, 1, 2)), (("t", 0), None)]


def test_finish_sets_the_assignment_and_snapshot_round_trips():
    topics, moves = table()
    update(moves, [1, 2, 3], 10)
    state = moves.snapshot()
    _, restored = table()
    restored.restore(state)
    assert restored.get("t", 0) == moves.get("t", 0)
    moves.apply_finish({"topic": "t", "partition": 0, "replicas": [1, 2, 3]}, 11)
    assert topics.get("t").replicas(0) == (1, 2, 3) and moves.all() == []


def test_force_cancel_and_topic_deletion():
    topics, moves = table()
    forced = []
    moves.on_forced(lambda key, replicas: forced.append((key, replicas)))
    update(moves, [1, 2, 3], 10)
    moves.apply_force_cancel({"topic": "t", "partition": 0}, 11)
    assert moves.get("t", 0) is None and topics.get("t").replicas(0) == (0, 1, 2)
    assert forced == [(("t", 0), (0, 1, 2))]
    update(moves, [1, 2, 3], 12)
    topics.apply_delete({"name": "t"}, 13)
    assert moves.all() == []


def member(node_id: int) -> dict:
    return {
        "node_id": node_id,
        "uuid": f"u{node_id}",
        "kafka_host": "h",
        "kafka_port": 1,
        "rpc_host": "h",
        "rpc_port": 2,
    }


def test_decommission_removes_the_member_for_good():
    members = Members()
    for n in range(4):
        members.apply_register(member(n), n)
    table = DecommissionTable(members)
    table.apply_remove({"node_id": 3})  # not draining: ignored
    assert 3 in members
    table.apply_decommission({"node_id": 3})
    assert table.draining() == {3} and table.membership(3) == "draining"
    table.apply_recommission({"node_id": 3})
    assert table.membership(3) == "active"
    table.apply_decommission({"node_id": 3})
    table.apply_remove({"node_id": 3})
    assert 3 not in members and table.removed() == {3} and table.uuids == {3: "u3"}
    members.apply_register(member(3), 20)  # a removed id is never given again
    assert 3 not in members
    joiner = dict(member(9), node_id=None, uuid="new")
    members.apply_register(joiner, 21)
    assert members.by_uuid("new").node_id == 4
    other = Members()
    DecommissionTable(other).restore(table.snapshot())
    other.apply_register(member(3), 1)
    assert 3 not in other
