"""The Admin API of partition moves on four real brokers: validation, a move's new replica
opening on its target, cancel back to the previous replicas (the new replica removed), and
the reconfigurations listing; a move survives the restart of its target."""

from __future__ import annotations

import pytest

from tests.support.cluster import create_topic
from tests.support.wait import wait_for

pytestmark = pytest.mark.cluster

REPLICAS = "/v1/partitions/kafka/{}/{}/replicas"
RECONF = "/v1/partitions/reconfigurations"


def body(*nodes: int) -> list[dict]:
    return [{"node_id": n, "core": 0} for n in nodes]


def test_move_validation_errors(cluster4, admin):
    create_topic(cluster4, "v", 1, 3)
    port = cluster4.nodes[0].admin_port
    status, err = admin(port, "POST", REPLICAS.format("nope", 0), body(0, 1, 2))
    assert status == 404 and "does not exist" in err["message"] and err["code"] == 404
    status, err = admin(port, "POST", REPLICAS.format("v", 5), body(0, 1, 2))
    assert status == 404
    status, err = admin(port, "POST", REPLICAS.format("v", 0), body(0, 0, 1))
    assert status == 400 and "twice" in err["message"]
    status, err = admin(port, "POST", REPLICAS.format("v", 0), body(0, 1, 9))
    assert status == 400 and "not members" in err["message"]
    status, err = admin(port, "POST", REPLICAS.format("v", 0), [])
    assert status == 400
    status, err = admin(port, "POST", REPLICAS.format("v", 0), {"node_id": 1})
    assert status == 400
    status, err = admin(port, "POST", "/v1/partitions/kafka/v/0/cancel_reconfiguration")
    assert status == 400 and "no move" in err["message"]
    status, err = admin(port, "GET", "/v1/brokers/2/decommission")
    assert status == 400 and "not decommissioning" in err["message"]
    status, err = admin(port, "PUT", "/v1/brokers/42/decommission")
    assert status == 404


def _replica_dir(cluster, node: int, topic: str):
    return sorted((cluster.nodes[node].data_dir / "kafka" / topic).glob("0_*"))


def _replicas(admin, port: int, topic: str) -> list[int]:
    _, part = admin(port, "GET", f"/v1/partitions/kafka/{topic}/0")
    return [r["node_id"] for r in part["replicas"]]


def test_move_finishes_and_removes_the_old_replica(cluster4, admin):
    create_topic(cluster4, "f", 1, 3)
    port = cluster4.nodes[1].admin_port
    old = _replicas(admin, port, "f")
    new_node = ({0, 1, 2, 3} - set(old)).pop()
    target = [*old[1:], new_node]
    status, err = admin(port, "POST", REPLICAS.format("f", 0), body(*target))
    assert status == 200, err
    wait_for(lambda: admin(port, "GET", RECONF)[1] == [], "the move finished", 60)
    assert _replicas(admin, port, "f") == target
    assert _replicas(admin, cluster4.nodes[3].admin_port, "f") == target
    wait_for(lambda: _replica_dir(cluster4, new_node, "f"), "replica on the target", 20)
    wait_for(lambda: not _replica_dir(cluster4, old[0], "f"), "old replica deleted", 20)
    wait_for(lambda: cluster4.leader_of("f", 0) in target, "a leader among the new replicas", 20)


def test_cancel_halfway_survives_restarts(cluster4, admin):
    """The target is paused, so its learner never catches up: the move stays halfway; it
    survives a kill -9 of the partition leader; cancelled, the group goes back to the
    previous replicas and the target, resumed, keeps nothing."""
    create_topic(cluster4, "m", 1, 3)
    old = _replicas(admin, cluster4.nodes[0].admin_port, "m")
    new_node = ({0, 1, 2, 3} - set(old)).pop()
    port = cluster4.nodes[old[0]].admin_port
    target = [*old[1:], new_node]
    cluster4.pause(new_node)
    try:
        status, err = admin(port, "POST", REPLICAS.format("m", 0), body(*target))
        assert status == 200, err
        status, err = admin(port, "POST", REPLICAS.format("m", 0), body(*old))
        assert status == 400 and "already being moved" in err["message"]
        _, moves = admin(port, "GET", RECONF)
        assert [(m["topic"], m["partition"]) for m in moves] == [("m", 0)]
        assert [r["node_id"] for r in moves[0]["previous_replicas"]] == old
        assert [r["node_id"] for r in moves[0]["current_replicas"]] == target
        leader = cluster4.leader_of("m", 0)
        cluster4.kill(leader)  # kill -9; restart() would wait for the paused node too
        cluster4.start_node(leader)
        for node in cluster4.running():  # every node, the restarted one too, still has it
            wait_for(
                lambda n=node: (
                    [(m["topic"], m["partition"]) for m in admin(n.admin_port, "GET", RECONF)[1]]
                    == [("m", 0)]
                ),
                f"the move listed on node {node.node_id}",
                20,
            )
        status, err = admin(port, "POST", "/v1/partitions/kafka/m/0/cancel_reconfiguration")
        assert status == 200, err
        wait_for(lambda: admin(port, "GET", RECONF)[1] == [], "the cancelled move ended", 60)
        assert _replicas(admin, port, "m") == old
    finally:
        cluster4.resume(new_node)
    wait_for(lambda: not _replica_dir(cluster4, new_node, "m"), "no replica on the target", 30)
    wait_for(lambda: cluster4.leader_of("m", 0) in old, "a leader among the old replicas", 20)


def test_force_cancel_reverts_at_once(cluster4, admin):
    """unclean_abort_reconfiguration: the assignment is the previous replicas at once and
    every replica forces its voters back; the partition still takes writes."""
    from confluent_kafka import Producer

    create_topic(cluster4, "x", 1, 3)
    old = _replicas(admin, cluster4.nodes[0].admin_port, "x")
    new_node = ({0, 1, 2, 3} - set(old)).pop()
    port = cluster4.nodes[old[1]].admin_port
    cluster4.pause(new_node)
    try:
        status, err = admin(port, "POST", REPLICAS.format("x", 0), body(*old[1:], new_node))
        assert status == 200, err
        status, err = admin(port, "POST", "/v1/partitions/kafka/x/0/unclean_abort_reconfiguration")
        assert status == 200, err
        assert admin(port, "GET", RECONF)[1] == []
        assert _replicas(admin, port, "x") == old
        status, err = admin(port, "POST", "/v1/partitions/kafka/x/0/unclean_abort_reconfiguration")
        assert status == 400 and "no move" in err["message"]
        producer = Producer({"bootstrap.servers": cluster4.bootstrap, "acks": "all"})
        acked = []
        producer.produce("x", b"after", partition=0, on_delivery=lambda e, m: acked.append(e))
        producer.flush(30)
        assert acked == [None]
    finally:
        cluster4.resume(new_node)
    wait_for(lambda: not _replica_dir(cluster4, new_node, "x"), "no replica on the target", 30)


def test_move_survives_restarts_of_the_leaving_and_the_target_node(cluster4, admin):
    """Halfway (target paused), the node leaving and then the target are killed (-9) and
    started again: the move finishes, the target holds the replica, the leaving node none."""
    create_topic(cluster4, "s", 1, 3)
    old = _replicas(admin, cluster4.nodes[0].admin_port, "s")
    new_node = ({0, 1, 2, 3} - set(old)).pop()
    port = cluster4.nodes[old[1]].admin_port
    target = [*old[1:], new_node]
    cluster4.pause(new_node)
    status, err = admin(port, "POST", REPLICAS.format("s", 0), body(*target))
    assert status == 200, err
    cluster4.kill(old[0])
    cluster4.start_node(old[0])
    assert admin(port, "GET", RECONF)[1] != []
    cluster4.kill(new_node)  # SIGKILL of the paused process
    cluster4.start_node(new_node)
    wait_for(lambda: admin(port, "GET", RECONF)[1] == [], "the move finished", 60)
    assert _replicas(admin, port, "s") == target
    wait_for(lambda: _replica_dir(cluster4, new_node, "s"), "replica on the target", 20)
    wait_for(lambda: not _replica_dir(cluster4, old[0], "s"), "none on the leaving node", 30)
