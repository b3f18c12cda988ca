"""Partition disabling on a real broker: `rpk cluster partitions disable|enable`, the Admin API
POST /v1/cluster/partitions/{ns}/{topic}[/{partition}], and what Kafka clients see (Produce and
Fetch answer REPLICA_NOT_AVAILABLE, Metadata lists the partition leaderless with that error,
as Redpanda). The state is a controller command: it survives a restart."""

from __future__ import annotations

import httpx
import pytest
from confluent_kafka import KafkaError, Producer
from kio.schema.metadata.v5 import request as metadata5

from core.model.records import Record, build_batch
from core.protocol.errors import ErrorCode
from tests.support.batches import partition_response, produce_request
from tests.support.broker import start_broker
from tests.support.raw_client import RawClient, fetch_v11
from tests.support.rpk import admin_env, run_in_process
from tests.support.topics import make_topic

DELIVERY_TIMEOUT_MS = 4_000


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    proc = start_broker(tmp_path_factory.mktemp("partition-disable"))
    yield proc
    proc.stop()


def rpk(broker, tmp_path, *args: str):
    return run_in_process(["cluster", "partitions", *args], admin_env(broker.admin_url, tmp_path))


def ok(result) -> str:
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def deliver(broker, topic: str, partition: int):
    """Produce one record with confluent-kafka; the delivery error (None: delivered)."""
    producer = Producer(
        {
            "bootstrap.servers": broker.bootstrap,
            "message.timeout.ms": DELIVERY_TIMEOUT_MS,
            "topic.metadata.refresh.interval.ms": 500,
        }
    )
    errors = []
    producer.produce(
        topic, b"v", partition=partition, on_delivery=lambda err, _msg: errors.append(err)
    )
    producer.flush(DELIVERY_TIMEOUT_MS / 1000 + 10)
    assert len(errors) == 1
    return errors[0]


def raw_produce_code(broker, topic: str) -> int:
    client = RawClient(broker.kafka_port)
    try:
        batch = bytes(build_batch([Record(key=None, value=b"x")]))
        return partition_response(client.request(produce_request(topic, batch))).error_code
    finally:
        client.close()


def raw_fetch_code(broker, topic: str) -> int:
    client = RawClient(broker.kafka_port)
    try:
        return client.request(fetch_v11(topic)).responses[0].partitions[0].error_code
    finally:
        client.close()


def metadata_partitions(broker, topic: str) -> dict[int, tuple[int, int]]:
    """{partition: (error_code, leader_id)} from a Metadata v5 request."""
    client = RawClient(broker.kafka_port)
    try:
        resp = client.request(
            metadata5.MetadataRequest(
                topics=(metadata5.MetadataRequestTopic(name=topic),),
                allow_auto_topic_creation=False,
            )
        )
    finally:
        client.close()
    (entry,) = resp.topics
    return {p.partition_index: (p.error_code, p.leader_id) for p in entry.partitions}


def listing(broker, topic: str, **params) -> dict[int, bool]:
    url = f"{broker.admin_url}/v1/cluster/partitions/kafka/{topic}"
    rows = httpx.get(url, params=params, timeout=10).json()
    return {row["partition_id"]: row["disabled"] for row in rows}


def test_disable_one_partition_then_enable_it(broker, tmp_path):
    make_topic(broker.bootstrap, "pd-one", partitions=2)
    assert deliver(broker, "pd-one", 0) is None
    out = ok(rpk(broker, tmp_path, "disable", "pd-one", "-p", "0"))
    assert out == "Successfully disabled the partitions [0]\n"
    assert listing(broker, "pd-one") == {0: True, 1: False}
    assert listing(broker, "pd-one", disabled="true") == {0: True}
    assert listing(broker, "pd-one", disabled="false") == {1: False}

    assert raw_produce_code(broker, "pd-one") == ErrorCode.replica_not_available
    assert raw_fetch_code(broker, "pd-one") == ErrorCode.replica_not_available
    assert metadata_partitions(broker, "pd-one")[0] == (ErrorCode.replica_not_available, -1)
    assert metadata_partitions(broker, "pd-one")[1][0] == ErrorCode.none
    err = deliver(broker, "pd-one", 0)
    assert err is not None
    assert err.code() in (KafkaError.REPLICA_NOT_AVAILABLE, KafkaError._MSG_TIMED_OUT), err
    assert deliver(broker, "pd-one", 1) is None  # the other partition works

    out = ok(rpk(broker, tmp_path, "enable", "-p", "pd-one/0"))
    assert out == "Successfully enabled the partitions [pd-one/0]\n"
    assert listing(broker, "pd-one") == {0: False, 1: False}
    assert deliver(broker, "pd-one", 0) is None
    assert raw_fetch_code(broker, "pd-one") == ErrorCode.none


def test_disable_whole_topic_survives_restarts(broker, tmp_path):
    make_topic(broker.bootstrap, "pd-all", partitions=3)
    out = ok(rpk(broker, tmp_path, "disable", "pd-all", "--all"))
    assert out == "Successfully disabled all partitions in topic pd-all\n"
    assert listing(broker, "pd-all") == {0: True, 1: True, 2: True}
    broker.restart()  # a clean stop snapshots the controller state: restored from it
    assert listing(broker, "pd-all") == {0: True, 1: True, 2: True}
    assert raw_produce_code(broker, "pd-all") == ErrorCode.replica_not_available
    # enabling one partition of a disabled topic leaves the others disabled
    ok(rpk(broker, tmp_path, "enable", "pd-all", "-p", "1"))
    assert listing(broker, "pd-all") == {0: True, 1: False, 2: True}
    broker.restart(crash=True)  # the enable command replays from the log, after the snapshot
    assert listing(broker, "pd-all") == {0: True, 1: False, 2: True}
    assert deliver(broker, "pd-all", 1) is None
    out = ok(rpk(broker, tmp_path, "enable", "pd-all", "-a"))
    assert out == "Successfully enabled all partitions in topic pd-all\n"
    assert listing(broker, "pd-all") == {0: False, 1: False, 2: False}
    assert raw_produce_code(broker, "pd-all") == ErrorCode.none


def test_bad_requests(broker, tmp_path):
    make_topic(broker.bootstrap, "pd-bad", partitions=1)
    base = f"{broker.admin_url}/v1/cluster/partitions"
    post = httpx.Client(timeout=10).post
    assert post(f"{base}/kafka/pd-missing", json={"disabled": True}).status_code == 404
    assert post(f"{base}/kafka/pd-bad/7", json={"disabled": True}).status_code == 404
    for body in ({}, {"disabled": "yes"}, {"disabled": True, "x": 1}, []):
        resp = post(f"{base}/kafka/pd-bad", json=body)
        assert resp.status_code == 400, body
        assert set(resp.json()) == {"message", "code"}
    assert post(f"{base}/kafka/pd-bad/-1", json={"disabled": True}).status_code == 400
    assert post(f"{base}/redpanda/controller", json={"disabled": True}).status_code == 400
    assert post(f"{base}/kafka/__consumer_offsets", json={"disabled": True}).status_code == 400
    assert post(f"{base}/kafka/pd-bad", content=b"{nope").status_code == 400

    missing = rpk(broker, tmp_path, "disable", "pd-missing", "--all")
    assert missing.exit_code == 1
    assert "failed to disable all partitions in topic kafka/pd-missing" in missing.stderr
    neither = rpk(broker, tmp_path, "disable", "pd-bad")
    assert neither.exit_code == 1 and "Please select either" in neither.stdout
    both = rpk(broker, tmp_path, "disable", "-p", "pd-bad/0", "pd-bad")
    assert both.exit_code == 1 and "both as an argument" in both.stderr
    malformed = rpk(broker, tmp_path, "enable", "pd-bad", "-p", "x")
    assert malformed.exit_code == 1 and 'unable to parse "x"' in malformed.stderr
    assert listing(broker, "pd-bad") == {0: False}
