"""A node outside seed_servers joins a running three-node cluster through its seeds (issue 10;
core.cluster.node_join): the controller assigns its node id (its configuration leaves it out),
every node lists four brokers, the newcomer holds the controller's state (topics created
before it joined), becomes a controller voter and hosts replicas of a topic created after it joined; a restart keeps its id; a wiped node (new UUID) cannot come back as
its old self: with its old id configured it is refused, without one it gets a new id."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.support.cluster import (
    CLUSTER_PROPERTIES,
    BrokerCluster,
    admin_get,
    create_topic,
    running_cluster,
)
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(240)]


@pytest.fixture
def cluster(tmp_path):
    with running_cluster(tmp_path / "cluster", 3, properties=CLUSTER_PROPERTIES) as c:
        yield c


def _produce(cluster: BrokerCluster, topic: str, n: int) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    failures: list[str] = []
    for i in range(n):
        producer.produce(
            topic, b"v%d" % i, on_delivery=lambda e, _m: failures.append(str(e)) if e else None
        )
    assert producer.flush(30) == 0 and not failures, failures[:3]


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
    try:
        wait_for(lambda: _poll(consumer, out) >= n, f"{n} records of {topic}", 30)
    finally:
        consumer.close()
    return out


def _poll(consumer, out: list[bytes]) -> int:
    msg = consumer.poll(0.5)
    if msg is not None and msg.error() is None:
        out.append(msg.value())
    return len(out)


def _node_json(cluster: BrokerCluster, i: int) -> dict:
    return json.loads((cluster.nodes[i].data_dir / "node.json").read_text())


def test_a_fourth_node_joins_through_its_seeds(cluster: BrokerCluster) -> None:
    create_topic(cluster, "before", 3, 3)
    _produce(cluster, "before", 30)
    joiner = cluster.add_node()  # no node_id in its file: the controller numbers it
    stored = _node_json(cluster, 3)
    assert stored["node_id"] == 3 and stored["joined"] is True
    for node in cluster.running():  # every node lists four live brokers
        brokers = admin_get(node.admin_port, "/v1/brokers")
        assert sorted(b["node_id"] for b in brokers) == [0, 1, 2, 3]
    assert len(_consume(joiner.kafka_port, "before", 30)) == 30  # topics known on node 3
    logs = "".join(node.log_text() for node in cluster.nodes)
    assert "controller voters now [0, 1, 2, 3]" in logs  # a voter of the controller group
    create_topic(cluster, "wide", 8, 3)  # placement spreads replicas over all four nodes
    hosted = [p for p in range(8) if 3 in cluster.partition_dirs("wide", p)]
    assert hosted, "node 3 hosts no replica"
    _produce(cluster, "wide", 40)
    assert len(_consume(joiner.kafka_port, "wide", 40)) == 40
    cluster.restart(3)  # it comes back as node 3 (no second registration)
    assert _node_json(cluster, 3)["node_id"] == 3
    brokers = admin_get(cluster.nodes[0].admin_port, "/v1/brokers")
    assert sorted(b["node_id"] for b in brokers) == [0, 1, 2, 3]


def test_a_wiped_node_cannot_come_back_as_its_old_self(cluster: BrokerCluster) -> None:
    joiner = cluster.add_node()
    old_uuid = _node_json(cluster, 3)["node_uuid"]
    joiner.stop()
    shutil.rmtree(joiner.data_dir)
    cluster._write_config(joiner, 3)  # its old id asked for explicitly, with a new UUID
    joiner.spawn()
    with pytest.raises((RuntimeError, TimeoutError)):
        joiner.wait_ready(30)
    assert "refused" in joiner.log_text()
    joiner.kill()
    shutil.rmtree(joiner.data_dir)
    cluster._write_config(joiner, None)  # no id: a new one, never 3
    joiner.spawn()
    joiner.wait_ready(60)
    stored = _node_json(cluster, 3)
    assert stored["node_id"] == 4 and stored["node_uuid"] != old_uuid
    brokers = admin_get(cluster.nodes[0].admin_port, "/v1/brokers")
    assert 4 in [b["node_id"] for b in brokers]
