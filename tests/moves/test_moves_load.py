"""Replica-set changes under load on four real brokers: a confluent-kafka and a kafka-python
idempotent acks=all producer and a two-client consumer group run throughout (the cluster
fault tests' workload); after each operation the Jepsen-style checker finds nothing lost or
duplicated, the replicas hold identical bytes, and the end state is what was asked for.

* every partition of a topic moves from {0,1,2} to {1,2,3};
* a move is cancelled halfway (its target paused, so its learner never catches up);
* node 3 is decommissioned: every replica leaves it, then it leaves the members.
"""

from __future__ import annotations

import time

import pytest

from tests.cluster.replicas import assert_replicas_identical
from tests.cluster.workload import Workload
from tests.support.cluster import BrokerCluster, create_topic, fetch_metadata
from tests.support.jepsen import check
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(240)]

TOPIC = "jepsen"
PARTITIONS = 3
WARMUP_ACKS = 100
PROGRESS_ACKS = 100
PROGRESS_TIMEOUT_S = 20.0
MOVE_TIMEOUT_S = 90.0
RECONF = "/v1/partitions/reconfigurations"
PARTITION = f"/v1/partitions/kafka/{TOPIC}"


def create(cluster: BrokerCluster, admin, assignment: list[list[int]]) -> None:
    """The topic with these replicas (CreateTopics with an explicit assignment is refused
    here, so placement's choice is moved where the test wants it before the load starts)."""
    create_topic(cluster, TOPIC, len(assignment), 3)
    for p, wanted in enumerate(assignment):
        if replicas(cluster)[p] != wanted:
            body = [{"node_id": n, "core": 0} for n in wanted]
            status, err = admin(
                cluster.nodes[0].admin_port, "POST", f"{PARTITION}/{p}/replicas", body
            )
            assert status == 200, err
    wait_for(lambda: no_moves(cluster, admin), "the topic in place", MOVE_TIMEOUT_S)
    wait_for(lambda: replicas(cluster) == assignment, "replicas as asked", 20)
    for p in range(len(assignment)):
        cluster.leader_of(TOPIC, p)


def replicas(cluster: BrokerCluster, node: int = 0) -> list[list[int]]:
    meta = fetch_metadata(cluster.nodes[node].kafka_port, [TOPIC])
    return [list(meta.partition(TOPIC, p).replicas) for p in range(PARTITIONS)]


def wait_acks(workload: Workload, at_least: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if workload.history.count("ok") >= at_least:
            return True
        time.sleep(0.1)
    return False


def no_moves(cluster: BrokerCluster, admin) -> bool:
    return all(admin(n.admin_port, "GET", RECONF)[1] == [] for n in cluster.running())


def run_under_load(cluster: BrokerCluster, operation) -> Workload:
    """Start the workload, run `operation` once it acks and consumes, check progress after it,
    then the history and the replicas' bytes."""
    workload = Workload(cluster.bootstrap, TOPIC, PARTITIONS).start()
    try:
        assert wait_acks(workload, WARMUP_ACKS, PROGRESS_TIMEOUT_S), workload.errors[:5]
        operation()
        after = workload.history.count("ok")
        progressed = wait_acks(workload, after + PROGRESS_ACKS, PROGRESS_TIMEOUT_S)
    finally:
        workload.stop()
    workload.record_committed()
    final, highs = workload.final_read()
    result = check(workload.history, final)
    context = f"\nclient errors: {workload.errors[:10]}\n" + cluster.log_tails(25)
    print(f"{operation.__name__}: {result.summary()}")
    assert result.valid, "Jepsen check failed:\n" + result.summary() + context
    assert progressed, f"no progress after {operation.__name__}" + context
    for p in range(PARTITIONS):
        assert_replicas_identical(cluster, TOPIC, p, highs[(TOPIC, p)], replicas=3)
    return workload


def test_move_topic_from_012_to_123_under_load(cluster4, admin):
    create(cluster4, admin, [[0, 1, 2], [1, 2, 0], [2, 0, 1]])
    targets = [[1, 2, 3], [2, 3, 1], [3, 1, 2]]

    def move_every_partition() -> None:
        for p, target in enumerate(targets):
            body = [{"node_id": n, "core": 0} for n in target]
            status, err = admin(
                cluster4.nodes[p].admin_port,
                "POST",
                f"/v1/partitions/kafka/{TOPIC}/{p}/replicas",
                body,
            )
            assert status == 200, err
        wait_for(lambda: no_moves(cluster4, admin), "every move finished", MOVE_TIMEOUT_S)

    run_under_load(cluster4, move_every_partition)
    assert replicas(cluster4) == targets
    assert not list((cluster4.nodes[0].data_dir / "kafka" / TOPIC).glob("*"))


def test_cancel_a_move_halfway_under_load(cluster4, admin):
    create(cluster4, admin, [[0, 1, 2], [1, 2, 0], [2, 0, 1]])

    def cancel_halfway() -> None:
        port = cluster4.nodes[1].admin_port
        cluster4.pause(3)
        try:
            body = [{"node_id": n, "core": 0} for n in (1, 2, 3)]
            status, err = admin(port, "POST", f"/v1/partitions/kafka/{TOPIC}/0/replicas", body)
            assert status == 200, err
            time.sleep(3)  # writes go on while the learner waits
            status, err = admin(
                port, "POST", f"/v1/partitions/kafka/{TOPIC}/0/cancel_reconfiguration"
            )
            assert status == 200, err
            wait_for(lambda: no_moves(cluster4, admin), "the cancelled move ended", MOVE_TIMEOUT_S)
        finally:
            cluster4.resume(3)

    run_under_load(cluster4, cancel_halfway)
    assert replicas(cluster4)[0] == [0, 1, 2]
    wait_for(
        lambda: not list((cluster4.nodes[3].data_dir / "kafka" / TOPIC).glob("*")),
        "no replica on node 3",
        30,
    )


def test_decommission_a_node_under_load(cluster4, admin):
    create(cluster4, admin, [[3, 0, 1], [1, 3, 2], [2, 0, 3]])

    def decommission_node_3() -> None:
        port = cluster4.nodes[0].admin_port
        status, err = admin(port, "PUT", "/v1/brokers/3/decommission")
        assert status == 200, err

        def removed() -> bool:
            status, body = admin(port, "GET", "/v1/brokers/3/decommission")
            return status == 200 and body["finished"]

        wait_for(removed, "node 3 decommissioned", MOVE_TIMEOUT_S)

    run_under_load(cluster4, decommission_node_3)
    assert all(3 not in r for r in replicas(cluster4))
    _, brokers = admin(cluster4.nodes[0].admin_port, "GET", "/v1/brokers")
    assert [b["node_id"] for b in brokers] == [0, 1, 2]
    status, err = admin(cluster4.nodes[0].admin_port, "PUT", "/v1/brokers/3/recommission")
    assert status == 400 and "decommissioned" in err["message"]
