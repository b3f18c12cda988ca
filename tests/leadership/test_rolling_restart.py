"""A rolling restart done as an operator does it, under load: each node in turn is put in
maintenance mode (Admin API), drained of every leadership, stopped, started again and taken
out of maintenance, while idempotent acks=all producers (confluent-kafka, kafka-python) and a
consumer group run. The Jepsen-style checker then finds nothing lost, duplicated or read
from a truncated log, the replicas hold the same bytes, and leadership spreads back."""

from __future__ import annotations

import math
import time

import pytest

from tests.cluster.replicas import assert_replicas_identical
from tests.cluster.workload import Workload
from tests.leadership.support import admin, counts, leaders, wait_drained, wait_for
from tests.support.cluster import CLUSTER_PROPERTIES, create_topic, running_cluster
from tests.support.jepsen import check

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]

TOPIC = "rolling"
PARTITIONS = 6
PROPERTIES = dict(CLUSTER_PROPERTIES, leader_balancer_node_mute_timeout=2_000)
PROGRESS_ACKS = 100
PROGRESS_TIMEOUT_S = 20.0


def wait_acks(workload: Workload, at_least: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if workload.history.count("ok") >= at_least:
            return True
        time.sleep(0.1)
    return False


def roll(cluster, node: int, workload: Workload) -> None:
    port = cluster.nodes[(node + 1) % cluster.n].admin_port
    assert admin("PUT", port, f"/v1/brokers/{node}/maintenance")[0] == 200
    wait_drained(cluster, node)
    assert node not in leaders(cluster, TOPIC, (node + 1) % cluster.n)
    cluster.nodes[node].stop()
    time.sleep(1.0)  # the others serve alone a while
    cluster.start_node(node)
    cluster.wait_formed()
    # back in maintenance (the state is replicated): it still leads nothing
    assert node not in leaders(cluster, TOPIC, node)
    assert admin("DELETE", port, f"/v1/brokers/{node}/maintenance")[0] == 200
    acked = workload.history.count("ok")
    assert wait_acks(workload, acked + PROGRESS_ACKS, PROGRESS_TIMEOUT_S), (
        f"no progress after rolling node {node}: {workload.errors[:5]}"
    )


def test_rolling_restart_in_maintenance_mode_loses_nothing(tmp_path) -> None:
    with running_cluster(tmp_path / "c", 3, properties=PROPERTIES) as cluster:
        create_topic(cluster, TOPIC, PARTITIONS, 3)
        workload = Workload(cluster.bootstrap, TOPIC, PARTITIONS).start()
        try:
            assert wait_acks(workload, PROGRESS_ACKS, PROGRESS_TIMEOUT_S), workload.errors[:5]
            for node in range(cluster.n):
                roll(cluster, node, workload)
        finally:
            workload.stop()
        workload.record_committed()
        final, highs = workload.final_read()
        result = check(workload.history, final)
        print(f"rolling restart: {result.summary()}")
        assert result.valid, (
            "Jepsen check failed:\n" + result.summary() + f"\n{workload.errors[:10]}"
        )
        for p in range(PARTITIONS):
            assert_replicas_identical(cluster, TOPIC, p, highs[(TOPIC, p)], replicas=3)
        share = math.ceil(PARTITIONS / cluster.n)
        wait_for(
            lambda: max(counts(leaders(cluster, TOPIC), 3).values()) <= share + 1,
            "leaders spread after the roll",
            cluster,
            30,
        )
