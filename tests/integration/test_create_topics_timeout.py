"""CreateTopics' `timeout_ms` (core/server/handlers/create_topics.py), as Redpanda's handler
reads it: the topics are submitted to the controller and their partitions' leaders awaited
until the deadline; a topic not applied by then answers REQUEST_TIMED_OUT; `timeout_ms <= 0`
is no deadline (Redpanda's `to_timeout`), so the answer still waits for the topic and its
leaders. Real brokers, raw kio requests and confluent-kafka's AdminClient."""

from __future__ import annotations

import datetime
import time

import pytest
from confluent_kafka.admin import AdminClient, NewTopic
from kio.schema.create_topics.v7.request import CreatableTopic, CreateTopicsRequest
from kio.schema.errors import ErrorCode
from kio.schema.metadata.v8.request import MetadataRequest, MetadataRequestTopic
from kio.schema.types import TopicName

from tests.support.cluster import running_cluster
from tests.support.raw_client import RawClient

PARTITIONS = 3
CONTROLLER_BOUND_S = 10.0  # core/cluster/controller_submit.py DEFAULT_SUBMIT_TIMEOUT_MS


def create_raw(
    port: int, name: str, timeout_ms: int, *, validate_only: bool = False, socket_s: float = 60
):
    """One CreateTopics v7 for `name` (PARTITIONS partitions, replication factor 1);
    (the topic's result, seconds the answer took)."""
    client = RawClient(port, timeout_s=socket_s)
    try:
        started = time.monotonic()
        response = client.request(
            CreateTopicsRequest(
                topics=(
                    CreatableTopic(
                        name=TopicName(name),
                        num_partitions=PARTITIONS,
                        replication_factor=1,
                        assignments=(),
                        configs=(),
                    ),
                ),
                timeout=datetime.timedelta(milliseconds=timeout_ms),
                validate_only=validate_only,
            )
        )
        (result,) = response.topics
        return result, time.monotonic() - started
    finally:
        client.close()


def metadata_topic(port: int, name: str):
    """The topic's Metadata v8 entry (no auto-creation)."""
    client = RawClient(port)
    try:
        response = client.request(
            MetadataRequest(
                topics=(MetadataRequestTopic(name=TopicName(name)),),
                allow_auto_topic_creation=False,
                include_cluster_authorized_operations=False,
                include_topic_authorized_operations=False,
            )
        )
        (topic,) = response.topics
        return topic
    finally:
        client.close()


def assert_leaders_known(port: int, name: str) -> None:
    topic = metadata_topic(port, name)
    assert topic.error_code == ErrorCode.none, topic
    assert len(topic.partitions) == PARTITIONS, topic
    assert all(p.error_code == ErrorCode.none and p.leader_id >= 0 for p in topic.partitions)


@pytest.mark.parametrize("timeout_ms", [0, -1, 30_000])
def test_answer_comes_once_the_topic_and_its_leaders_are_there(broker, timeout_ms):
    name = f"waited-{timeout_ms}".replace("-1", "minus1")
    result, _took_s = create_raw(broker.kafka_port, name, timeout_ms)
    assert result.error_code == ErrorCode.none, result
    assert result.num_partitions == PARTITIONS
    assert_leaders_known(broker.kafka_port, name)  # in the first Metadata after the answer


def test_validate_only_creates_nothing_whatever_the_timeout(broker):
    for timeout_ms in (0, 5_000):
        result, _took_s = create_raw(broker.kafka_port, "validated", timeout_ms, validate_only=True)
        assert result.error_code == ErrorCode.none, result
        topic = metadata_topic(broker.kafka_port, "validated")
        assert topic.error_code == ErrorCode.unknown_topic_or_partition, topic


@pytest.mark.parametrize("operation_timeout_s", [0, 5.0])
def test_admin_client_operation_timeout(broker, operation_timeout_s):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    name = f"admin-op-{int(operation_timeout_s)}"
    new = NewTopic(name, PARTITIONS, 1)
    futures = admin.create_topics(
        [new], operation_timeout=operation_timeout_s, request_timeout=30.0
    )
    futures[name].result(60)
    assert_leaders_known(broker.kafka_port, name)
    again = admin.create_topics([new], operation_timeout=operation_timeout_s, request_timeout=30)
    with pytest.raises(Exception) as raised:
        again[name].result(60)
    assert raised.value.args[0].code() == ErrorCode.topic_already_exists.value


def test_without_a_controller_quorum(tmp_path):
    """Two of three nodes stopped: a positive timeout_ms bounds the answer
    (REQUEST_TIMED_OUT), timeout_ms 0 waits for the controller's own bound; once the nodes
    are back a request with timeout_ms 0 creates the topic, leaders known at the answer
    (AdminClient too)."""
    with running_cluster(tmp_path / "cluster", 3) as cluster:
        asked = cluster.nodes[0]
        cluster.pause(1)
        cluster.pause(2)
        try:
            bounded, bounded_s = create_raw(asked.kafka_port, "stalled", 1_000)
            unbounded, unbounded_s = create_raw(asked.kafka_port, "stalled-0", 0)
        finally:
            cluster.resume(1)
            cluster.resume(2)
        assert bounded.error_code == ErrorCode.request_timed_out, bounded
        assert 0.9 <= bounded_s < CONTROLLER_BOUND_S / 2, bounded_s  # timeout_ms bounded it
        assert unbounded.error_code != ErrorCode.none, unbounded
        assert unbounded_s >= CONTROLLER_BOUND_S / 2, unbounded_s  # no deadline of its own

        deadline = time.monotonic() + 60
        for attempt in range(1_000):  # the controller elects again after the resume
            result, _took_s = create_raw(asked.kafka_port, f"prompt-{attempt}", 0)
            if result.error_code == ErrorCode.none:
                break
            assert time.monotonic() < deadline, result
            time.sleep(0.5)
        assert_leaders_known(asked.kafka_port, f"prompt-{attempt}")
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        futures = admin.create_topics(
            [NewTopic("by-admin", PARTITIONS, 3)], operation_timeout=20.0, request_timeout=30.0
        )
        futures["by-admin"].result(60)
        assert_leaders_known(asked.kafka_port, "by-admin")
