"""Transactional producers of real clients against a real broker: commit and abort over many
partitions, read_committed and read_uncommitted readers, zombie fencing, timeouts."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import KafkaException, Producer

from tests.support.jepsen_txn import TxnHistory, check_txn
from tests.support.txn_clients import new_topic, read_all, values

PARTITIONS = 6


def _producer(bootstrap: str, tid: str, **extra) -> Producer:
    conf = {"bootstrap.servers": bootstrap, "transactional.id": tid, "linger.ms": 5}
    conf.update(extra)
    return Producer(conf)


def test_confluent_commit_and_abort_many_partitions(txn_broker):
    bootstrap = txn_broker.bootstrap
    topic = new_topic(bootstrap, PARTITIONS)
    history = TxnHistory()
    p = _producer(bootstrap, f"cf-{uuid.uuid4().hex[:6]}")
    p.init_transactions(30)
    for k in range(8):
        p.begin_transaction()
        txn = history.begin("confluent")
        for i in range(30):
            value = f"cf-{k}-{i}"
            p.produce(topic, value=value.encode(), partition=i % PARTITIONS)
            history.write(txn, (topic, i % PARTITIONS), value)
        p.flush(30)  # the aborted ones reach the log too
        if k % 2 == 0:
            p.commit_transaction(30)
            history.end(txn, "committed")
        else:
            p.abort_transaction(30)
            history.end(txn, "aborted")
    committed = read_all(bootstrap, topic, PARTITIONS, "read_committed")
    check_txn(history, committed).assert_valid()
    assert len(values(committed)) == 4 * 30
    uncommitted = values(read_all(bootstrap, topic, PARTITIONS, "read_uncommitted"))
    assert len(uncommitted) == 8 * 30  # a read_uncommitted reader sees the aborted ones too


def test_kafka_python_commit_and_abort(txn_broker):
    from kafka import KafkaProducer

    bootstrap = txn_broker.bootstrap
    topic = new_topic(bootstrap, PARTITIONS)
    history = TxnHistory()
    p = KafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"kp-{uuid.uuid4().hex[:6]}")
    try:
        p.init_transactions()
        for k in range(6):
            p.begin_transaction()
            txn = history.begin("kafka-python")
            futures = []
            for i in range(20):
                value = f"kp-{k}-{i}"
                futures.append(p.send(topic, value=value.encode(), partition=i % PARTITIONS))
                history.write(txn, (topic, i % PARTITIONS), value)
            for f in futures:
                f.get(timeout=30)
            if k % 3 == 2:
                p.abort_transaction()
                history.end(txn, "aborted")
            else:
                p.commit_transaction()
                history.end(txn, "committed")
    finally:
        p.close(timeout=10)
    committed = read_all(bootstrap, topic, PARTITIONS)
    check_txn(history, committed).assert_valid()
    assert len(values(committed)) == 4 * 20
    assert len(values(read_all(bootstrap, topic, PARTITIONS, "read_uncommitted"))) == 6 * 20


def test_zombie_is_fenced_and_its_open_transaction_aborted(txn_broker):
    bootstrap = txn_broker.bootstrap
    topic = new_topic(bootstrap, 2)
    tid = f"zombie-{uuid.uuid4().hex[:6]}"
    old = _producer(bootstrap, tid)
    old.init_transactions(30)
    old.begin_transaction()
    old.produce(topic, value=b"zombie-open", partition=0)
    old.flush(30)
    new = _producer(bootstrap, tid)
    new.init_transactions(30)  # aborts the old producer's open transaction, bumps the epoch
    new.begin_transaction()
    new.produce(topic, value=b"new", partition=0)
    new.commit_transaction(30)
    old.produce(topic, value=b"zombie-late", partition=1)
    with pytest.raises(KafkaException) as info:
        old.commit_transaction(30)
    assert info.value.args[0].fatal() or "fenced" in str(info.value).lower()
    assert values(read_all(bootstrap, topic, 2)) == ["new"]


def test_hanging_transaction_is_aborted_after_its_timeout(txn_broker):
    """The coordinator checks every tx_timeout_delay_ms (200 ms here) for transactions past
    their transaction.timeout.ms and aborts them with an epoch bump."""
    bootstrap = txn_broker.bootstrap
    topic = new_topic(bootstrap, 1)
    tid = f"hang-{uuid.uuid4().hex[:6]}"
    p = _producer(bootstrap, tid, **{"transaction.timeout.ms": 2000})
    p.init_transactions(30)
    p.begin_transaction()
    p.produce(topic, value=b"hanging", partition=0)
    p.flush(30)
    other = _producer(bootstrap, f"ok-{uuid.uuid4().hex[:6]}")
    other.init_transactions(30)
    other.begin_transaction()
    other.produce(topic, value=b"after", partition=0)
    other.commit_transaction(30)
    # the hanging transaction holds the LSO until the coordinator aborts it (2 s + the check)
    deadline = time.monotonic() + 20
    seen: list[str] = []
    while time.monotonic() < deadline:
        seen = values(read_all(bootstrap, topic, 1))
        if seen:
            break
    assert seen == ["after"]


def test_transaction_timeout_above_the_maximum_is_refused(txn_broker):
    """transaction.timeout.ms above transaction_max_timeout_ms (60000 here):
    INVALID_TRANSACTION_TIMEOUT, fatal for the producer."""
    p = _producer(
        txn_broker.bootstrap, f"big-{uuid.uuid4().hex[:6]}", **{"transaction.timeout.ms": 120000}
    )
    with pytest.raises(KafkaException) as info:
        p.init_transactions(20)
    assert "INVALID_TRANSACTION_TIMEOUT" in str(info.value) or "timeout" in str(info.value).lower()
