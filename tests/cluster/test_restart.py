"""A whole-cluster restart (every node stopped, cleanly or with kill -9, then started again)
keeps every topic with its replicas, every acknowledged record at its offset, every committed
group offset, every topic config and the cluster configuration, as seen from every node."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.cluster.workload import final_read, retry
from tests.support.cluster import (
    CLUSTER_PROPERTIES,
    BrokerCluster,
    admin_get,
    admin_put,
    create_topic,
    running_cluster,
)
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(120)]

TOPICS = {  # name -> (partitions, topic configs)
    "orders": (3, {"retention.ms": "3600000", "max.message.bytes": "200000"}),
    "audit": (1, {"cleanup.policy": "compact"}),
}
RECORDS_PER_TOPIC = 300
GROUP = "keeper"
CLUSTER_PROPERTY = ("log_retention_ms", 86_400_000)
READ_TIMEOUT_S = 20.0


def produce_all(cluster: BrokerCluster) -> None:
    from confluent_kafka import Producer

    producer = Producer(
        {"bootstrap.servers": cluster.bootstrap, "enable.idempotence": True, "acks": "all"}
    )
    failures: list[str] = []

    def delivered(err, msg) -> None:
        if err is not None:
            failures.append(str(err))

    for topic, (partitions, _) in TOPICS.items():
        for i in range(RECORDS_PER_TOPIC):
            producer.produce(
                topic,
                f"{topic}-{i}".encode(),
                key=f"k{i}".encode(),
                partition=i % partitions,
                on_delivery=delivered,
            )
    assert producer.flush(30) == 0 and not failures, failures[:5]


def commit_offsets(cluster: BrokerCluster) -> None:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": GROUP})
    try:
        offsets = [TopicPartition("orders", p, 10 * (p + 1)) for p in range(3)]
        done = consumer.commit(offsets=offsets, asynchronous=False)
        assert all(tp.error is None for tp in done), done
    finally:
        consumer.close()


def topic_configs(cluster: BrokerCluster) -> Callable[[], dict]:
    """A reader of every topic's non-default configs (DescribeConfigs), for retry()."""
    from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource

    def read() -> dict:
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        resources = [ConfigResource("topic", t) for t in TOPICS]
        return {
            resource.name: {
                k: e.value
                for k, e in future.result(5).items()
                if e.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
            }
            for resource, future in admin.describe_configs(resources).items()
        }

    return read


def committed_offsets(cluster: BrokerCluster) -> Callable[[], dict]:
    """A reader of the group's committed offsets (OffsetFetch), for retry()."""
    from confluent_kafka import Consumer, TopicPartition

    def read() -> dict:
        consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": GROUP})
        try:
            tps = [TopicPartition("orders", p) for p in range(3)]
            return {
                (tp.topic, tp.partition): tp.offset for tp in consumer.committed(tps, timeout=5)
            }
        finally:
            consumer.close()

    return read


def snapshot(cluster: BrokerCluster) -> dict:
    """What must survive, read from every node where each node answers for itself. Reads
    through clients are retried (each with a new client) while leaders settle."""

    for topic, (partitions, _) in TOPICS.items():
        for p in range(partitions):
            cluster.leader_of(topic, p)
    out: dict = {"topics": {}, "cluster_config": {}}
    for node in cluster.nodes:
        out["topics"][node.node_id] = {  # each node's Metadata: partitions and replica sets
            (t, p): sorted(cluster.partition_info(t, p, node.node_id).replicas)
            for t, (n, _) in TOPICS.items()
            for p in range(n)
        }
        name, _ = CLUSTER_PROPERTY
        out["cluster_config"][node.node_id] = admin_get(
            node.admin_port, f"/v1/cluster_config?key={name}"
        )
    out["configs"] = retry(topic_configs(cluster), READ_TIMEOUT_S)
    out["records"] = {t: final_read(cluster.bootstrap, t, n)[0] for t, (n, _) in TOPICS.items()}
    out["offsets"] = retry(committed_offsets(cluster), READ_TIMEOUT_S)
    return out


@pytest.mark.parametrize("crash", [False, True], ids=["sigterm", "kill-9"])
def test_a_whole_cluster_restart_keeps_topics_records_offsets_and_configs(tmp_path, crash) -> None:
    with running_cluster(tmp_path / "cluster", 3, properties=CLUSTER_PROPERTIES) as cluster:
        for topic, (partitions, config) in TOPICS.items():
            create_topic(cluster, topic, partitions, 3, config)
        produce_all(cluster)
        commit_offsets(cluster)
        name, value = CLUSTER_PROPERTY
        admin_put(
            cluster.nodes[0].admin_port,
            "/v1/cluster_config",
            {"upsert": {name: value}, "remove": []},
        )
        wait_for(
            lambda: all(
                admin_get(n.admin_port, f"/v1/cluster_config?key={name}") == {name: value}
                for n in cluster.nodes
            ),
            f"{name} set on every node",
            timeout_s=15,
        )
        before = snapshot(cluster)
        assert before["offsets"] == {("orders", p): 10 * (p + 1) for p in range(3)}
        assert before["configs"]["orders"] == TOPICS["orders"][1]
        assert sum(len(r) for r in before["records"]["orders"].values()) == RECORDS_PER_TOPIC

        cluster.stop_nodes(crash=crash)
        cluster.start()
        try:
            after = snapshot(cluster)
        except Exception as exc:
            raise AssertionError(
                f"after the restart: {exc!r}\n{cluster.views(list(TOPICS))}\n" + cluster.log_tails()
            ) from None
        for part in ("topics", "cluster_config", "configs", "offsets", "records"):
            assert after[part] == before[part], (
                f"{part} changed by the restart\n" + cluster.log_tails(15)
            )
