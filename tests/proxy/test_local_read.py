"""Reads of partitions this broker leads come from the log directly (core.proxy.local_read):
what a Kafka consumer would see, compressed and transactional batches included, with the
instance's position, commits and auto.offset.reset behaving as the group member's."""

from __future__ import annotations

import uuid

from confluent_kafka import Producer

from tests.support.proxy import BINARY, V2, b64, consume_until, new_consumer, unb64
from tests.support.topics import make_topic


def _produce_kafka(bootstrap: str, topic: str) -> list[tuple[int, bytes, bytes]]:
    """(partition, key, value) written by confluent-kafka: lz4 batches, then a committed and
    an aborted transaction (their control batches must not show), on partitions 0 and 1."""
    plain = Producer({"bootstrap.servers": bootstrap, "compression.type": "lz4", "linger.ms": 50})
    written = []
    for i in range(40):
        key, value = f"k{i}".encode(), f"v{i}".encode() * 10
        plain.produce(topic, value, key, partition=i % 2)
        written.append((i % 2, key, value))
    assert plain.flush(30) == 0
    txn = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"t-{topic}"})
    txn.init_transactions(30)
    for commit in (True, False):
        txn.begin_transaction()
        for p in (0, 1):
            txn.produce(topic, f"txn-{commit}".encode(), b"tk", partition=p)
        assert txn.flush(30) == 0  # written before the abort (which drops what is unsent)
        if commit:
            txn.commit_transaction(30)
            written += [(p, b"tk", b"txn-True") for p in (0, 1)]
        else:
            txn.abort_transaction(30)
    return written


def test_instance_reads_compressed_and_transactional_batches(proxy_broker, http):
    topic = f"lr-{uuid.uuid4().hex[:8]}"
    make_topic(proxy_broker.bootstrap, topic, 2)
    written = _produce_kafka(proxy_broker.bootstrap, topic)
    name = new_consumer(http, "g-lr", **{"auto.offset.reset": "earliest"})
    base = f"/consumers/g-lr/instances/{name}"
    assert http.post(f"{base}/subscription", json={"topics": [topic]}).status_code == 204
    # read_uncommitted, as the instances read: the aborted records show, markers never
    got = consume_until(http, base, len(written) + 2)
    seen = [(r["partition"], unb64(r["key"]), unb64(r["value"])) for r in got]
    assert sorted(seen) == sorted(written + [(p, b"tk", b"txn-False") for p in (0, 1)])
    for p in (0, 1):
        offsets = [r["offset"] for r in got if r["partition"] == p]
        assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)
    again = http.get(f"{base}/records", params={"timeout": 300}, headers={"Accept": BINARY})
    assert again.status_code == 200 and again.json() == []  # the position moved past them
    assert http.delete(base).status_code == 204


def test_commit_and_out_of_range_reset(proxy_broker, http):
    topic = f"lr-{uuid.uuid4().hex[:8]}"
    make_topic(proxy_broker.bootstrap, topic, 1)
    records = [{"value": b64(f"r{i}")} for i in range(10)]
    r = http.post(f"/topics/{topic}", json={"records": records}, headers={"Content-Type": BINARY})
    assert r.status_code == 200, r.text
    config = {"auto.offset.reset": "earliest", "auto.commit.enable": "false"}
    name = new_consumer(http, "g-lr2", **config)
    base = f"/consumers/g-lr2/instances/{name}"
    tp = {"topic": topic, "partition": 0}
    assert http.post(f"{base}/assignments", json={"partitions": [tp]}).status_code == 204
    got = consume_until(http, base, 10)
    assert [unb64(g["value"]) for g in got] == [f"r{i}".encode() for i in range(10)]
    assert http.post(f"{base}/offsets").status_code == 204  # commits the position: 10
    committed = http.request("GET", f"{base}/offsets", json={"partitions": [tp]}).json()
    assert committed["offsets"][0]["offset"] == 10
    assert (
        http.post(f"{base}/positions", json={"offsets": [{**tp, "offset": 4}]}).status_code == 204
    )
    assert [g["offset"] for g in consume_until(http, base, 6)] == list(range(4, 10))
    edge = {"partitions": [tp]}  # aiokafka resets paused (local) partitions too
    assert http.post(f"{base}/positions/beginning", json=edge).status_code == 204
    assert [g["offset"] for g in consume_until(http, base, 10)] == list(range(10))
    assert http.post(f"{base}/positions/end", json=edge).status_code == 204
    http.post(f"/topics/{topic}", json={"records": records[:1]}, headers={"Content-Type": BINARY})
    assert [g["offset"] for g in consume_until(http, base, 1)] == [10]
    beyond = {"offsets": [{**tp, "offset": 10_000}]}
    assert http.post(f"{base}/positions", json=beyond).status_code == 204
    assert [g["offset"] for g in consume_until(http, base, 11)] == list(range(11))  # earliest
    assert http.delete(base).status_code == 204


def test_partition_records_get_reads_the_log(proxy_broker, http):
    topic = f"lr-{uuid.uuid4().hex[:8]}"
    make_topic(proxy_broker.bootstrap, topic, 1)
    records = [{"key": b64("k"), "value": b64(f"r{i}")} for i in range(5)]
    http.post(f"/topics/{topic}", json={"records": records}, headers={"Content-Type": BINARY})
    path = f"/topics/{topic}/partitions/0"
    got = http.get(f"{path}/records", params={"offset": 2}, headers={"Accept": BINARY}).json()
    assert [(g["offset"], unb64(g["value"])) for g in got] == [
        (i, f"r{i}".encode()) for i in (2, 3, 4)
    ]
    empty = http.get(
        f"{path}/records", params={"offset": 5, "timeout": 200}, headers={"Accept": BINARY}
    )
    assert empty.status_code == 200 and empty.json() == []
    past = http.get(f"{path}/records", params={"offset": 6}, headers={"Accept": BINARY})
    assert (past.status_code, past.json()["error_code"]) == (400, 40002)
    offsets = http.get(f"{path}/offsets", headers={"Accept": V2}).json()
    assert offsets == {"beginning_offset": 0, "end_offset": 5}
