"""Admin API transaction endpoints (Redpanda's): find a transactional id's coordinator, list a
coordinator partition's transactions, and mark an ongoing transaction expired (aborted now)."""

from __future__ import annotations

import json
import struct
import time
import urllib.error
import urllib.request
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

from tests.support.txn_clients import new_topic, read_all, values


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def _post(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_find_list_and_mark_expired(txn_broker):
    bootstrap, admin = txn_broker.bootstrap, txn_broker.admin_url
    topic = new_topic(bootstrap, 1)
    tid = f"adm-{uuid.uuid4().hex[:6]}"
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid})
    p.init_transactions(30)
    p.begin_transaction()
    p.produce(topic, b"doomed", partition=0)
    p.flush(30)

    found = _get(f"{admin}/v1/transaction/{tid}/find_coordinator")
    assert found["ec"] == 0 and found["coordinator"] == 0
    partition = found["ntp"]["partition"]
    assert found["ntp"]["topic"] == "__transaction_state"

    listed = _get(f"{admin}/v1/transactions?coordinator_partition_id={partition}")
    mine = [t for t in listed if t["transactional_id"] == tid]
    assert len(mine) == 1 and mine[0]["status"] == "ongoing"
    assert mine[0]["partitions"] == [
        {"ns": "kafka", "topic": topic, "partition_id": 0, "etag": mine[0]["etag"]}
    ]
    assert mine[0]["timeout_ms"] == 60000
    pid, epoch = mine[0]["pid"]["id"], mine[0]["pid"]["epoch"]

    status, body = _post(
        f"{admin}/v1/partitions/kafka/{topic}/0/mark_transaction_expired?id={pid}&epoch={epoch}"
    )
    assert status == 200, body
    listed = _get(f"{admin}/v1/transactions?coordinator_partition_id={partition}")
    assert [t["status"] for t in listed if t["transactional_id"] == tid] == ["completed_abort"]
    deadline = time.monotonic() + 10
    while values(read_all(bootstrap, topic, 1)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert values(read_all(bootstrap, topic, 1)) == []  # aborted: the LSO moved past it
    assert values(read_all(bootstrap, topic, 1, "read_uncommitted")) == ["doomed"]

    for bad in ("zz", "-1", "9999"):
        try:
            _get(f"{admin}/v1/transactions?coordinator_partition_id={bad}")
        except urllib.error.HTTPError as exc:
            assert exc.code == 400, bad
        else:
            raise AssertionError(f"coordinator_partition_id={bad} was accepted")
    status, body = _post(
        f"{admin}/v1/partitions/kafka/{topic}/0/mark_transaction_expired?id={pid}&epoch={epoch}"
    )
    assert status == 400, body  # nothing ongoing any more


def _put_config(admin: str, body: dict) -> None:
    request = urllib.request.Request(
        f"{admin}/v1/cluster_config",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.status == 200


def _listed(admin: str, tid: str) -> list[dict]:
    """The transactional id as its coordinator partition's listing shows it ([] if absent)."""
    partition = _get(f"{admin}/v1/transaction/{tid}/find_coordinator")["ntp"]["partition"]
    url = f"{admin}/v1/transactions?coordinator_partition_id={partition}"
    return [t for t in _get(url) if t["transactional_id"] == tid]


def _await_expired(admin: str, tid: str) -> None:
    deadline = time.monotonic() + 15
    while _listed(admin, tid):
        assert time.monotonic() < deadline, f"{tid} did not expire"
        time.sleep(0.3)


def _last_stored(bootstrap: str, admin: str, tid: str) -> tuple[bool, bytes | None]:
    """(found, value) of the last record of the id's key in its __transaction_state partition,
    read by a Kafka consumer (None: a tombstone)."""
    partition = _get(f"{admin}/v1/transaction/{tid}/find_coordinator")["ntp"]["partition"]
    key = struct.pack(">hh", 0, len(tid)) + tid.encode()
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"state-{uuid.uuid4().hex[:6]}",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition("__transaction_state", partition, OFFSET_BEGINNING)])
    found, value = False, None
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            msg = consumer.poll(1)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    break
                raise AssertionError(msg.error())
            if msg.key() == key:
                found, value = True, msg.value()
    finally:
        consumer.close()
    return found, value


def test_idle_transactional_ids_expire(txn_broker):
    """transactional_id_expiration_ms: an id with no transaction running for that long is
    removed with a tombstone in __transaction_state (its next producer gets a new producer
    id); an id whose transaction runs longer than that is kept until it ended and then idled."""
    bootstrap, admin = txn_broker.bootstrap, txn_broker.admin_url
    topic = new_topic(bootstrap, 1)
    tid, busy_tid = f"idle-{uuid.uuid4().hex[:6]}", f"busy-{uuid.uuid4().hex[:6]}"
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid})
    p.init_transactions(30)
    p.begin_transaction()
    p.produce(topic, b"x", partition=0)
    p.commit_transaction(30)
    busy = Producer(
        {
            "bootstrap.servers": bootstrap,
            "transactional.id": busy_tid,
            "transaction.timeout.ms": 60_000,
        }
    )
    busy.init_transactions(30)
    busy.begin_transaction()
    busy.produce(topic, b"y", partition=0)
    assert busy.flush(30) == 0
    (before,) = _listed(admin, tid)
    _put_config(admin, {"upsert": {"transactional_id_expiration_ms": 1500}, "remove": []})
    try:
        _await_expired(admin, tid)
        assert [t["status"] for t in _listed(admin, busy_tid)] == ["ongoing"]
        busy.commit_transaction(30)
        _await_expired(admin, busy_tid)  # idle from its commit on
    finally:
        _put_config(admin, {"upsert": {}, "remove": ["transactional_id_expiration_ms"]})
    assert _last_stored(bootstrap, admin, tid) == (True, None)
    assert values(read_all(bootstrap, topic, 1)) == ["x", "y"]
    again = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid})
    again.init_transactions(30)
    (after,) = _listed(admin, tid)
    assert after["pid"]["id"] != before["pid"]["id"] and after["pid"]["epoch"] == 0
