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


def test_move_opens_target_and_cancel_removes_it(cluster4, admin):
    create_topic(cluster4, "m", 1, 3)
    port = cluster4.nodes[1].admin_port
    _, part = admin(port, "GET", "/v1/partitions/kafka/m/0")
    old = [r["node_id"] for r in part["replicas"]]
    new_node = ({0, 1, 2, 3} - set(old)).pop()
    target = [*old[1:], new_node]
    status, _ = admin(port, "POST", REPLICAS.format("m", 0), body(*target))
    assert status == 200
    status, err = admin(port, "POST", REPLICAS.format("m", 0), body(*old))
    assert status == 400 and "already being moved" in err["message"]
    _, moves = admin(cluster4.nodes[2].admin_port, "GET", RECONF)
    assert [(m["topic"], m["partition"]) for m in moves] == [("m", 0)]
    assert [r["node_id"] for r in moves[0]["previous_replicas"]] == old
    assert [r["node_id"] for r in moves[0]["current_replicas"]] == target
    wait_for(lambda: _replica_dir(cluster4, new_node, "m"), "replica opened on the target", 20)
    # the move survives a restart of its target: the replica stays
    cluster4.restart(new_node)
    assert _replica_dir(cluster4, new_node, "m")
    status, _ = admin(port, "POST", "/v1/partitions/kafka/m/0/cancel_reconfiguration")
    assert status == 200
    wait_for(lambda: admin(port, "GET", RECONF)[1] == [], "the cancelled move finished", 30)
    _, part = admin(port, "GET", "/v1/partitions/kafka/m/0")
    assert [r["node_id"] for r in part["replicas"]] == old
    wait_for(lambda: not _replica_dir(cluster4, new_node, "m"), "target replica deleted", 20)
