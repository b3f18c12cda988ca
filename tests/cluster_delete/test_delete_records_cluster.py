"""DeleteRecords on a three-process cluster (issue 10): the new log start is replicated
state. After DeleteRecords to 50 of 100 records (RF 3) every replica persisted start 50;
once the leader is killed (-9) the new leader's ListOffsets earliest is 50 and a fetch
from 10 is OFFSET_OUT_OF_RANGE (log_start_offset 50); a restart of every node keeps 50."""

from __future__ import annotations

import json

import pytest
from kio.schema.errors import ErrorCode

from tests.support.cluster import (
    CLUSTER_PROPERTIES,
    BrokerCluster,
    create_topic,
    running_cluster,
)
from tests.support.raw_client import RawClient, fetch_v11
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(150)]

TOPIC = "purged"
RECORDS = 100
NEW_START = 50
START_KEY = "storage.start_offset"  # core.storage.log.START_OFFSET_KEY, in kvstore.json


@pytest.fixture
def cluster(tmp_path):
    with running_cluster(tmp_path / "cluster", 3, properties=CLUSTER_PROPERTIES) as c:
        yield c


def produce(cluster: BrokerCluster) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    failures: list[str] = []
    for i in range(RECORDS):
        producer.produce(
            TOPIC,
            b"v%d" % i,
            partition=0,
            on_delivery=lambda err, _m: failures.append(str(err)) if err else None,
        )
    assert producer.flush(30) == 0 and not failures, failures[:3]


def delete_records(cluster: BrokerCluster, offset: int) -> int:
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    futures = admin.delete_records([TopicPartition(TOPIC, 0, offset)], request_timeout=20)
    deleted = futures[TopicPartition(TOPIC, 0)].result(30)
    return int(deleted.low_watermark)


def watermarks(cluster: BrokerCluster) -> tuple[int, int] | None:
    """(ListOffsets earliest, latest) as the partition's leader answers, or None for now."""
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "probe"})
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(TOPIC, 0), timeout=5)
        return int(low), int(high)
    except KafkaException:
        return None
    finally:
        consumer.close()


def replica_starts(cluster: BrokerCluster) -> dict[int, int]:
    """node id -> the log start offset each replica persisted."""
    out = {}
    for node_id, directory in cluster.partition_dirs(TOPIC, 0).items():
        path = directory / "kvstore.json"  # written at the first change (a new log has none)
        store = json.loads(path.read_bytes() or b"{}") if path.exists() else {}
        out[node_id] = int(store.get(START_KEY, 0))
    return out


def fetch_from(port: int, offset: int):
    client = RawClient(port)
    try:
        return client.request(fetch_v11(TOPIC, offset=offset, min_bytes=0)).responses[0]
    finally:
        client.close()


def test_delete_records_is_replicated_and_survives_failover_and_restart(cluster):
    create_topic(cluster, TOPIC, 1, 3)
    produce(cluster)
    assert wait_for(lambda: watermarks(cluster), "watermarks", 20) == (0, RECORDS)

    assert delete_records(cluster, NEW_START) == NEW_START
    # acknowledged: a majority persisted it; the third replica hears it at the next append
    wait_for(
        lambda: replica_starts(cluster) == {0: NEW_START, 1: NEW_START, 2: NEW_START},
        "every replica's log start at 50",
        10,
    )
    assert watermarks(cluster) == (NEW_START, RECORDS)

    old = cluster.leader_of(TOPIC, 0)
    cluster.kill(old)
    others = [n for n in range(3) if n != old]
    new = cluster.leader_of(TOPIC, 0, among=others, timeout_s=30)
    assert wait_for(lambda: watermarks(cluster), "the new leader's watermarks", 30) == (
        NEW_START,
        RECORDS,
    )
    part = wait_for(
        lambda: (
            (p := fetch_from(cluster.nodes[new].kafka_port, 10).partitions[0]).error_code
            != ErrorCode.not_leader_or_follower
            and p
        ),
        "a fetch answered by the new leader",
        20,
    )
    assert part.error_code == ErrorCode.offset_out_of_range, part
    assert part.log_start_offset == NEW_START and part.high_watermark == RECORDS
    ok = fetch_from(cluster.nodes[new].kafka_port, NEW_START).partitions[0]
    assert ok.error_code == ErrorCode.none and ok.records

    cluster.start_node(old)
    cluster.stop_nodes()
    cluster.start()
    cluster.leader_of(TOPIC, 0, timeout_s=30)
    assert wait_for(lambda: watermarks(cluster), "watermarks after the restart", 30) == (
        NEW_START,
        RECORDS,
    )
    assert replica_starts(cluster) == {0: NEW_START, 1: NEW_START, 2: NEW_START}


AGING = "aging"
RETENTION = {"segment.bytes": "4096", "retention.bytes": "8192"}


def test_retention_moves_every_replicas_start_and_never_back_across_failover(tmp_path):
    """Retention by size on a replicated partition: the leader proposes the new start, every
    replica applies it (the same persisted start everywhere), and after kill -9 of the leader
    the new leader's earliest offset is not below what the old one showed."""
    from confluent_kafka import Producer

    properties = {
        **CLUSTER_PROPERTIES,
        "log_compaction_interval_ms": 300,
        "log_segment_size_min": 1024,  # segment.bytes 4096 rolls at 4096
    }
    with running_cluster(tmp_path / "cluster", 3, properties=properties) as cluster:
        create_topic(cluster, AGING, 1, 3, RETENTION)
        producer = Producer(  # one record per batch: segments roll between batches
            {"bootstrap.servers": cluster.bootstrap, "acks": "all", "batch.num.messages": 1}
        )
        for i in range(RECORDS):
            producer.produce(AGING, b"%04d" % i + b"x" * 500, partition=0)
            producer.poll(0)
        assert producer.flush(30) == 0

        def starts() -> dict[int, int]:
            out = {}
            for node_id, directory in cluster.partition_dirs(AGING, 0).items():
                path = directory / "kvstore.json"
                store = json.loads(path.read_bytes() or b"{}") if path.exists() else {}
                out[node_id] = int(store.get(START_KEY, 0))
            return out

        def settled() -> int | None:
            seen = starts()
            values = set(seen.values())
            return values.pop() if len(seen) == 3 and len(values) == 1 and 0 not in values else None

        start = wait_for(settled, "one start > 0 on every replica", 30)
        low = wait_for(lambda: low_of(cluster, AGING), "the leader's earliest offset", 20)
        assert low >= start
        old = cluster.leader_of(AGING, 0)
        cluster.kill(old)
        cluster.leader_of(AGING, 0, among=[n for n in range(3) if n != old], timeout_s=30)
        after = wait_for(lambda: low_of(cluster, AGING), "the new leader's earliest", 30)
        assert after >= low, (after, low)


def low_of(cluster: BrokerCluster, topic: str) -> int | None:
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "probe"})
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)
        return int(low) if high == RECORDS and low > 0 else None
    except KafkaException:
        return None
    finally:
        consumer.close()
