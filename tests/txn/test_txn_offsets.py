"""Group offsets committed in a transaction (send_offsets_to_transaction: AddOffsetsToTxn and
TxnOffsetCommit) become visible at commit, never after an abort, and survive restarts of the
broker (the group coordinator replays the transactional batches and markers of
__consumer_offsets; the transaction coordinator its __transaction_state)."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from tests.support.txn_clients import new_topic

WAIT_S = 30.0


def _committed(bootstrap: str, group: str, topic: str) -> int:
    """The committed offset as a read_uncommitted client asks (no require_stable: a pending
    transactional offset does not hold the answer back)."""
    c = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "isolation.level": "read_uncommitted"}
    )
    try:
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                return c.committed([TopicPartition(topic, 0)], 10)[0].offset
            except Exception:  # the coordinator is loading after a restart
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        c.close()


def _await_committed(bootstrap: str, group: str, topic: str, expected: int) -> None:
    """A committed transaction's offsets become visible once its marker is written, which
    EndTxn does not wait for (as Kafka): a read without require_stable may come first."""
    deadline = time.monotonic() + WAIT_S
    while (seen := _committed(bootstrap, group, topic)) != expected:
        assert time.monotonic() < deadline, f"committed offset {seen}, not {expected}"
        time.sleep(0.1)


def _txn_offsets(producer: Producer, metadata, topic: str, offset: int, commit: bool) -> None:
    producer.begin_transaction()
    producer.send_offsets_to_transaction([TopicPartition(topic, 0, offset)], metadata, 30)
    if commit:
        producer.commit_transaction(30)
    else:
        producer.abort_transaction(30)


def test_offsets_of_a_transaction_visible_at_commit_only_and_after_restarts(txn_broker):
    bootstrap = txn_broker.bootstrap
    topic = new_topic(bootstrap, 1)
    group, tid = f"g-{uuid.uuid4().hex[:6]}", f"offs-{uuid.uuid4().hex[:6]}"
    member = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    metadata = member.consumer_group_metadata()
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid})
    p.init_transactions(30)

    _txn_offsets(p, metadata, topic, 10, commit=True)
    _await_committed(bootstrap, group, topic, 10)
    p.begin_transaction()
    p.send_offsets_to_transaction([TopicPartition(topic, 0, 20)], metadata, 30)
    assert _committed(bootstrap, group, topic) == 10  # pending: not visible before the commit
    stable = Consumer({"bootstrap.servers": bootstrap, "group.id": group})  # read_committed
    with pytest.raises(KafkaException):  # KIP-447 require_stable: UNSTABLE_OFFSET_COMMIT, retried
        stable.committed([TopicPartition(topic, 0)], 2)
    stable.close()
    p.abort_transaction(30)
    assert _committed(bootstrap, group, topic) == 10  # aborted: never
    _txn_offsets(p, metadata, topic, 30, commit=True)
    _await_committed(bootstrap, group, topic, 30)

    txn_broker.restart()  # clean: replayed from __consumer_offsets
    assert _committed(bootstrap, group, topic) == 30

    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid})
    p.init_transactions(30)
    p.begin_transaction()
    p.send_offsets_to_transaction([TopicPartition(topic, 0, 40)], metadata, 30)
    txn_broker.restart(crash=True)  # SIGKILL with the transaction open
    assert _committed(bootstrap, group, topic) == 30
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid})
    p.init_transactions(30)  # the open transaction (offset 40) is aborted
    _txn_offsets(p, metadata, topic, 50, commit=True)
    _await_committed(bootstrap, group, topic, 50)
    txn_broker.restart(crash=True)
    assert _committed(bootstrap, group, topic) == 50
    member.close()


def test_kafka_python_send_offsets_to_transaction(txn_broker):
    from kafka import KafkaProducer
    from kafka.structs import OffsetAndMetadata
    from kafka.structs import TopicPartition as KTopicPartition

    bootstrap = txn_broker.bootstrap
    topic = new_topic(bootstrap, 1)
    group = f"kpg-{uuid.uuid4().hex[:6]}"
    p = KafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"kpo-{uuid.uuid4().hex[:6]}")
    try:
        p.init_transactions()
        for offset, commit in ((7, True), (9, False), (11, True)):
            p.begin_transaction()
            p.send_offsets_to_transaction(
                {KTopicPartition(topic, 0): OffsetAndMetadata(offset, "", -1)}, group
            )
            p.commit_transaction() if commit else p.abort_transaction()
            if commit:
                _await_committed(bootstrap, group, topic, offset)
            else:
                assert _committed(bootstrap, group, topic) == 7
    finally:
        p.close(timeout=10)
