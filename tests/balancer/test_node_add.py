"""partition_autobalancing_mode node_add (Redpanda's default): a fourth broker joins a running
three-node cluster through its seeds and receives its share of the replicas (moved by joint
consensus while the data stays readable); `rpk cluster partitions balancer-status` and the
Admin API status follow the balancer; with `off` a joiner receives nothing until
`rpk cluster partitions balance` asks for one pass."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.balancer.conftest import BALANCER_PROPERTIES, replica_counts, rpk
from tests.support.cluster import admin_get, create_topic, running_cluster
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]


def _produce(cluster, topic: str, n: int) -> None:
    from confluent_kafka import Producer

    producer = Producer(
        {"bootstrap.servers": cluster.bootstrap, "acks": "all", "enable.idempotence": True}
    )
    failures: list[str] = []
    for i in range(n):
        producer.produce(
            topic, b"v%d" % i, on_delivery=lambda e, _m: failures.append(str(e)) if e else None
        )
    assert producer.flush(60) == 0 and not failures, failures[:3]


def _consume(port: int, topic: str, n: int) -> list[bytes]:
    from confluent_kafka import Consumer

    consumer = Consumer(
        {
            "bootstrap.servers": f"127.0.0.1:{port}",
            "group.id": f"g-{topic}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    out: list[bytes] = []

    def poll() -> int:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            out.append(msg.value())
        return len(out)

    try:
        wait_for(lambda: poll() >= n, f"{n} records of {topic}", 60)
    finally:
        consumer.close()
    return out


def _settled(port: int) -> Counter | None:
    parts = admin_get(port, "/v1/cluster/partitions")
    moving = admin_get(port, "/v1/partitions/reconfigurations")
    if parts is None or moving is None or moving:
        return None
    return replica_counts(parts)


def test_a_joining_node_receives_its_share(tmp_path) -> None:
    props = dict(BALANCER_PROPERTIES, partition_autobalancing_concurrent_moves=2)
    with running_cluster(tmp_path / "c", 3, properties=props) as cluster:
        create_topic(cluster, "spread", 6, 3)  # 18 replicas, 6 on each node
        _produce(cluster, "spread", 60)
        port = cluster.nodes[0].admin_port
        status = admin_get(port, "/v1/cluster/partition_balancer/status")
        assert status["status"] in ("ready", "starting"), status
        assert status["current_reassignments_count"] == 0
        joiner = cluster.add_node()
        in_flight: list[int] = []

        def settled() -> Counter | None:
            moving = admin_get(port, "/v1/partitions/reconfigurations")
            in_flight.append(len(moving or ()))
            counts = _settled(port)
            return counts if counts is not None and counts[3] >= 4 else None

        counts = wait_for(settled, "node 3 holds its share and nothing moves", 180)
        assert max(in_flight) <= 2  # partition_autobalancing_concurrent_moves
        assert sorted(counts) == [0, 1, 2, 3] and max(counts.values()) - min(counts.values()) <= 1
        hosted = [p for p in range(6) if 3 in cluster.partition_dirs("spread", p)]
        assert len(hosted) == counts[3]
        for p in range(6):  # the replicas that left are deleted: three directories each
            wait_for(lambda p=p: len(cluster.partition_dirs("spread", p)) == 3, "old dirs gone", 30)
        assert sorted(_consume(joiner.kafka_port, "spread", 60)) == sorted(
            b"v%d" % i for i in range(60)
        )
        out = rpk(cluster, tmp_path / "home", "cluster", "partitions", "balancer-status")
        assert out.exit_code == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[0].split() == ["Status:", "ready"], out.stdout
        assert lines[2].split() == ["Current", "Reassignment", "Count:", "0"]
        assert "moves" in "".join(n.log_text() for n in cluster.nodes)


def test_off_moves_nothing_until_balance_is_asked(tmp_path) -> None:
    props = dict(BALANCER_PROPERTIES, partition_autobalancing_mode="off")
    with running_cluster(tmp_path / "c", 3, properties=props) as cluster:
        create_topic(cluster, "still", 4, 3)
        cluster.add_node()
        port = cluster.nodes[0].admin_port
        status = wait_for(
            lambda: admin_get(port, "/v1/cluster/partition_balancer/status"), "status", 30
        )
        assert status["status"] == "off"
        out = rpk(cluster, tmp_path / "home", "cluster", "partitions", "balancer-status")
        assert out.stdout.splitlines()[0].split() == ["Status:", "off"]
        wait_for(
            lambda: admin_get(port, "/v1/brokers") and len(admin_get(port, "/v1/brokers")) == 4,
            "4 brokers",
            30,
        )
        time.sleep(3)  # three ticks (partition_autobalancing_tick_interval_ms): nothing moves
        assert _settled(port)[3] == 0
        asked = rpk(cluster, tmp_path / "home", "cluster", "partitions", "balance")
        assert asked.exit_code == 0, asked.stderr
        assert asked.stdout.startswith("Successfully triggered on-demand partition balancing.")
        counts = wait_for(
            lambda: (c := _settled(port)) is not None and c[3] >= 3 and c, "balanced", 180
        )
        assert max(counts.values()) - min(counts.values()) <= 1
