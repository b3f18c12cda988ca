"""Produce into partitions this broker leads goes straight to the partition (one v2 batch per
partition per request, split at max.message.bytes): offsets, order and CRCs as a Kafka client
sees them."""

from __future__ import annotations

import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from tests.support.proxy import BINARY, b64, produce
from tests.support.topics import make_topic


def read_all(bootstrap: str, topic: str, partition: int, count: int) -> list:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": topic, "check.crcs": True})
    consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
    out = []
    try:
        while len(out) < count:
            msg = consumer.poll(10)
            assert msg is not None, f"only {len(out)} of {count} records"
            assert msg.error() is None, msg.error()
            out.append(msg)
    finally:
        consumer.close()
    return out


def test_large_request_is_split_and_ordered(http, proxy_broker):
    topic = f"lp-{uuid.uuid4().hex[:8]}"
    make_topic(proxy_broker.bootstrap, topic, 2)
    value = b"v" * 8192
    records = [{"key": b64(f"k{i}"), "value": b64(value), "partition": 1} for i in range(300)]
    offsets = produce(http, topic, records, BINARY)["offsets"]
    assert [o["offset"] for o in offsets] == list(range(300))  # 2.4 MiB: several batches
    assert {o["partition"] for o in offsets} == {1}
    msgs = read_all(proxy_broker.bootstrap, topic, 1, 300)
    assert [m.key() for m in msgs] == [f"k{i}".encode() for i in range(300)]
    assert all(m.value() == value for m in msgs)


def test_keyed_and_keyless_records_across_partitions(http, proxy_broker):
    topic = f"lp-{uuid.uuid4().hex[:8]}"
    make_topic(proxy_broker.bootstrap, topic, 3)
    records = [{"key": b64(f"key-{i % 5}"), "value": b64(f"v{i}")} for i in range(30)]
    records += [{"value": b64("keyless")}, {"key": None, "value": b64("keyless")}]
    offsets = produce(http, topic, records, BINARY)["offsets"]
    assert all(o["offset"] is not None and "error_code" not in o for o in offsets)
    by_key: dict[str, set] = {}
    for r, o in zip(records[:30], offsets[:30]):
        by_key.setdefault(r["key"], set()).add(o["partition"])
    assert all(len(parts) == 1 for parts in by_key.values())  # one key, one partition
    assert offsets[30]["partition"] == offsets[31]["partition"]  # keyless: one per request
    for p in range(3):
        mine = sorted(o["offset"] for o in offsets if o["partition"] == p)
        assert mine == list(range(len(mine)))
        msgs = read_all(proxy_broker.bootstrap, topic, p, len(mine))
        assert len(msgs) == len(mine)


def test_named_partitions_beside_keyless_and_empty_requests(http, proxy_broker):
    """Records naming a partition keep it; the others share one partition; an empty records
    array is answered with no offsets (the fuzz test once found it failing)."""
    topic = f"lp-{uuid.uuid4().hex[:8]}"
    make_topic(proxy_broker.bootstrap, topic, 3)
    records = [{"value": b64(f"v{i}")} for i in range(6)]
    records[2]["partition"] = 2
    records[4]["partition"] = 0
    body = produce(http, topic, records, BINARY)
    assert body["key_schema_id"] is None and body["value_schema_id"] is None
    offsets = body["offsets"]
    assert offsets[2]["partition"] == 2 and offsets[4]["partition"] == 0
    rest = {offsets[i]["partition"] for i in (0, 1, 3, 5)}
    assert len(rest) == 1
    assert produce(http, topic, [], BINARY)["offsets"] == []
    assert produce(http, topic, [], BINARY, path="/partitions/1")["offsets"] == []
    for p in range(3):
        mine = [i for i, o in enumerate(offsets) if o["partition"] == p]
        msgs = read_all(proxy_broker.bootstrap, topic, p, len(mine))
        assert [m.value() for m in msgs] == [f"v{i}".encode() for i in mine]
