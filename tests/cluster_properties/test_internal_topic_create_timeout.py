"""create_topic_timeout_ms bounds the on-demand creation of the internal topics, read live, as
in Redpanda: `__consumer_offsets` (core/groups/coordinator.py, Redpanda's
try_create_consumer_group_topic) within the property, `__transaction_state`
(core/transactions/coordinator.py, Redpanda's tx_topic_manager) within the property times its
partition count. FindCoordinator answers COORDINATOR_NOT_AVAILABLE while the topic is not
there, and a client's retry starts the creation again.

Three real brokers, the property raised live to 700 ms; with two nodes stopped (SIGSTOP) the
controller cannot commit: FindCoordinator on the third answers COORDINATOR_NOT_AVAILABLE and
its log says each creation gave up at the property's bound (700 ms; 1400 ms for the two
transaction partitions), not the controller's own (10 s). With the nodes back, real clients
(a consumer group committing, a transactional producer) retry until both topics exist."""

from __future__ import annotations

import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from kio.schema.errors import ErrorCode
from kio.schema.find_coordinator.v3.request import FindCoordinatorRequest

from tests.cluster_properties.test_create_topic_timeout import _set_when_the_controller_answers
from tests.support.cluster import create_topic, running_cluster
from tests.support.raw_client import RawClient

PROPERTIES = {"transaction_coordinator_partitions": 2}
GROUPS_GAVE_UP = "__consumer_offsets not created within create_topic_timeout_ms (700 ms)"
TXN_GAVE_UP = "__transaction_state not created within 1400 ms"
CLIENT_S = 60.0


def _find_coordinator(port: int, key: str, key_type: int) -> ErrorCode:
    client = RawClient(port)
    try:
        return client.request(FindCoordinatorRequest(key=key, key_type=key_type)).error_code
    finally:
        client.close()


def _wait_for_log(node, text: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in node.log_text():
        assert time.monotonic() < deadline, f"{text!r} not logged:\n{node.log_text()[-3000:]}"
        time.sleep(0.2)


def test_internal_topics_created_within_the_live_property(tmp_path):
    with running_cluster(tmp_path / "cluster", 3, properties=PROPERTIES) as cluster:
        asked = cluster.nodes[0]
        _set_when_the_controller_answers(asked.admin_port, create_topic_timeout_ms=700)
        create_topic(cluster, "events", 1, 3)
        cluster.pause(1)
        cluster.pause(2)
        try:
            group_answer = _find_coordinator(asked.kafka_port, "g1", 0)
            txn_answer = _find_coordinator(asked.kafka_port, "t1", 1)
            _wait_for_log(asked, GROUPS_GAVE_UP)
            _wait_for_log(asked, TXN_GAVE_UP)
        finally:
            cluster.resume(1)
            cluster.resume(2)
        assert group_answer == ErrorCode.coordinator_not_available
        assert txn_answer == ErrorCode.coordinator_not_available

        consumer = Consumer(
            {
                "bootstrap.servers": asked.bootstrap,
                "group.id": "g1",
                "enable.auto.commit": False,
            }
        )
        try:  # FindCoordinator retried by the client until the topic exists and is led
            consumer.commit(offsets=[TopicPartition("events", 0, 0)], asynchronous=False)
            (committed,) = consumer.committed([TopicPartition("events", 0)], timeout=CLIENT_S)
            assert committed.offset == 0
        finally:
            consumer.close()

        producer = Producer(
            {"bootstrap.servers": asked.bootstrap, "transactional.id": f"t-{uuid.uuid4()}"}
        )
        producer.init_transactions(CLIENT_S)
        producer.begin_transaction()
        producer.produce("events", b"v")
        producer.commit_transaction(CLIENT_S)
