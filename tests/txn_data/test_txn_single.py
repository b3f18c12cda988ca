"""The partition side of transactions on one real broker, with this test acting as the
transaction coordinator (raw InitProducerId, transactional Produce, WriteTxnMarkers): the last
stable offset, the aborted-transactions list in read_committed fetches, ListOffsets per
isolation level, fencing, DescribeProducers, and real consumers (confluent-kafka, kafka-python)
at read_committed and read_uncommitted; all of it again after a clean restart and a kill -9."""

from __future__ import annotations

import time

import pytest

from core.model.control import Marker, build_marker_batch
from core.protocol.errors import ErrorCode
from tests.support.raw_client import RawClient
from tests.support.topics import make_topic
from tests.support.txn_requests import (
    COMMITTED_BEFORE_C,
    EVERYTHING,
    READ_COMMITTED,
    READ_UNCOMMITTED,
    build_history,
    committed_values,
    describe_producers,
    fetch,
    fetch_all,
    init_producer_id,
    list_offset,
    produce,
    txn_batch,
    write_markers,
)

TOPIC = "txn"
TP = [(TOPIC, 0)]
CONSUME_TIMEOUT_S = 20


def check_open(client: RawClient, state: dict) -> None:
    """C's transaction is open: read_committed stops at its first offset."""
    c_pid, c_first = state["c"][0], state["c_first"]
    committed = fetch_all(client, TOPIC, 0, READ_COMMITTED)
    assert committed.last_stable_offset == c_first < committed.high_watermark
    assert committed_values(committed) == COMMITTED_BEFORE_C
    a_pid = state["a"][0]
    assert [pid for pid, _ in committed.aborted] == [a_pid]
    uncommitted = fetch_all(client, TOPIC, 0, READ_UNCOMMITTED)
    assert uncommitted.values == EVERYTHING
    assert fetch(client, TOPIC, 0, 0, READ_UNCOMMITTED).aborted is None
    assert list_offset(client, TOPIC, 0, READ_COMMITTED) == c_first
    assert list_offset(client, TOPIC, 0, READ_UNCOMMITTED) == uncommitted.high_watermark
    producers = {p.producer_id: p for p in describe_producers(client, TOPIC, 0).active_producers}
    assert producers[c_pid].current_txn_start_offset == c_first
    assert producers[a_pid].current_txn_start_offset == -1


def check_closed(client: RawClient) -> None:
    committed = fetch_all(client, TOPIC, 0, READ_COMMITTED)
    assert committed.last_stable_offset == committed.high_watermark
    assert committed_values(committed) == [*COMMITTED_BEFORE_C, b"c0", b"c1", b"p2"]
    assert len(committed.aborted) == 2


def consume(bootstrap: str, isolation: str, expected: int) -> list[bytes]:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"g-{isolation}-{time.monotonic_ns()}",
            "isolation.level": isolation,
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(TOPIC, 0, 0)])
    got: list[bytes] = []
    deadline = time.monotonic() + CONSUME_TIMEOUT_S
    try:
        while time.monotonic() < deadline and len(got) < expected:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got.append(msg.value())
        quiet = time.monotonic() + 1.5  # nothing more may come
        while time.monotonic() < quiet:
            msg = consumer.poll(0.3)
            if msg is not None and msg.error() is None:
                got.append(msg.value())
    finally:
        consumer.close()
    return got


def consume_kafka_python(bootstrap: str, isolation: str) -> list[bytes]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        isolation_level=isolation,
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
    )
    consumer.assign([TopicPartition(TOPIC, 0)])
    consumer.seek(TopicPartition(TOPIC, 0), 0)
    try:
        return [m.value for m in consumer]
    finally:
        consumer.close()


@pytest.fixture
def txn_broker(broker):
    make_topic(broker.bootstrap, TOPIC)
    return broker


def test_read_committed_sees_committed_records_only_and_stops_at_an_open_txn(txn_broker):
    client = RawClient(txn_broker.kafka_port)
    try:
        state = build_history(client, TOPIC)
        check_open(client, state)
        assert consume(txn_broker.bootstrap, "read_committed", 6) == COMMITTED_BEFORE_C
        assert consume(txn_broker.bootstrap, "read_uncommitted", 12) == EVERYTHING
        assert consume_kafka_python(txn_broker.bootstrap, "read_committed") == COMMITTED_BEFORE_C
        assert consume_kafka_python(txn_broker.bootstrap, "read_uncommitted") == EVERYTHING
        c_pid, c_epoch = state["c"]
        assert write_markers(client, c_pid, c_epoch, True, TP) == [0]
        check_closed(client)
        expected = [*COMMITTED_BEFORE_C, b"c0", b"c1", b"p2"]
        assert consume(txn_broker.bootstrap, "read_committed", 9) == expected
        assert consume_kafka_python(txn_broker.bootstrap, "read_committed") == expected
    finally:
        client.close()


@pytest.mark.parametrize("crash", [False, True], ids=["restart", "kill-9"])
def test_lso_and_aborted_index_survive_a_restart(txn_broker, crash):
    client = RawClient(txn_broker.kafka_port)
    state = build_history(client, TOPIC)
    client.close()
    txn_broker.restart(crash=crash)
    client = RawClient(txn_broker.kafka_port)
    try:
        check_open(client, state)
        c_pid, c_epoch = state["c"]
        # the open transaction continues after the restart, then commits
        code, _ = produce(client, TOPIC, 0, txn_batch(c_pid, c_epoch, 2, [b"c2"]))
        assert code == 0
        assert write_markers(client, c_pid, c_epoch, True, TP) == [0]
        committed = fetch_all(client, TOPIC, 0, READ_COMMITTED)
        assert committed_values(committed) == [*COMMITTED_BEFORE_C, b"c0", b"c1", b"p2", b"c2"]
        assert committed.last_stable_offset == committed.high_watermark
    finally:
        client.close()
    txn_broker.restart(crash=crash)
    client = RawClient(txn_broker.kafka_port)
    try:
        committed = fetch_all(client, TOPIC, 0, READ_COMMITTED)
        assert committed_values(committed) == [*COMMITTED_BEFORE_C, b"c0", b"c1", b"p2", b"c2"]
        assert len(committed.aborted) == 2
    finally:
        client.close()


def test_fencing_and_refusals(txn_broker):
    client = RawClient(txn_broker.kafka_port)
    try:
        pid, epoch = init_producer_id(client)
        assert produce(client, TOPIC, 0, txn_batch(pid, epoch, 0, [b"x0"]))[0] == 0
        # a plain batch while the producer's transaction is open
        plain = txn_batch(pid, epoch, 1, [b"x1"], transactional=False)
        assert produce(client, TOPIC, 0, plain)[0] == ErrorCode.invalid_txn_state.value
        # a client may not write a marker itself
        forged = build_marker_batch(pid, epoch, Marker(True, 0), 0)
        assert produce(client, TOPIC, 0, forged)[0] == ErrorCode.invalid_record.value
        # transactional records without a transactional id
        batch = txn_batch(pid, epoch, 1, [b"x1"])
        code, _ = produce(client, TOPIC, 0, batch, transactional_id=None)
        assert code == ErrorCode.transactional_id_authorization_failed.value
        # the coordinator aborts with a bumped epoch (a timeout, or a new producer instance)
        assert write_markers(client, pid, epoch + 1, False, TP, coordinator_epoch=3) == [0]
        assert produce(client, TOPIC, 0, batch)[0] == ErrorCode.invalid_producer_epoch.value
        assert write_markers(client, pid, epoch, True, TP) == [
            ErrorCode.invalid_producer_epoch.value
        ]
        code = write_markers(client, pid, epoch + 1, True, TP, coordinator_epoch=2)
        assert code == [ErrorCode.transaction_coordinator_fenced.value]
        # a marker with no open transaction is written and answered NONE
        assert write_markers(client, pid, epoch + 1, True, TP, coordinator_epoch=3) == [0]
        # the new epoch starts at sequence 0
        fresh = txn_batch(pid, epoch + 1, 0, [b"y0"])
        assert produce(client, TOPIC, 0, fresh)[0] == 0
        assert write_markers(client, pid, epoch + 1, True, TP, coordinator_epoch=3) == [0]
        assert write_markers(client, pid, epoch + 1, True, [("nope", 0)]) == [
            ErrorCode.unknown_topic_or_partition.value
        ]
        committed = fetch_all(client, TOPIC, 0, READ_COMMITTED)
        assert committed_values(committed) == [b"y0"]
        assert committed.aborted == [(pid, 0)]
        producers = describe_producers(client, TOPIC, 0)
        assert producers.error_code == 0
        (p,) = producers.active_producers
        assert (p.producer_id, p.producer_epoch, p.coordinator_epoch) == (pid, epoch + 1, 3)
        assert (p.last_sequence, p.current_txn_start_offset) == (0, -1)
    finally:
        client.close()
    log = txn_broker.log_text()
    assert "Traceback" not in log
