"""Produce and consume through the proxy, cross-checked with confluent-kafka both ways."""

from __future__ import annotations

import json

import pytest
from confluent_kafka import Consumer, Producer

from tests.support.proxy import (
    BINARY,
    JSON,
    V2,
    b64,
    consume_until,
    new_consumer,
    produce,
    unb64,
)
from tests.support.topics import make_topic


def _read_all(bootstrap: str, topic: str, count: int) -> list:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"ck-{topic}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    got = []
    try:
        for _ in range(60):
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got.append(msg)
            if len(got) >= count:
                break
    finally:
        consumer.close()
    return got


def test_binary_produce_read_by_confluent_kafka(proxy_broker, http):
    make_topic(proxy_broker.bootstrap, "bin", partitions=3)
    records = [{"key": b64(f"k{i}"), "value": b64(f"v{i}")} for i in range(5)]
    records += [{"value": b64(b"\x00\xffraw"), "partition": 1}, {"key": b64("t"), "value": None}]
    body = produce(http, "bin", records)
    assert len(body["offsets"]) == 7
    assert all("error_code" not in o for o in body["offsets"]), body
    assert body["offsets"][5]["partition"] == 1
    got = _read_all(proxy_broker.bootstrap, "bin", 7)
    seen = {(m.key(), m.value()) for m in got}
    assert {(f"k{i}".encode(), f"v{i}".encode()) for i in range(5)} <= seen
    assert (None, b"\x00\xffraw") in seen and (b"t", None) in seen
    where = {(m.partition(), m.offset()) for m in got}
    assert {(o["partition"], o["offset"]) for o in body["offsets"]} == where
    # the same key always lands in the same partition
    again = produce(http, "bin", [{"key": b64("k0"), "value": b64("x")}])
    assert again["offsets"][0]["partition"] == body["offsets"][0]["partition"]


def test_json_produce_to_partition_and_consume(proxy_broker, http):
    make_topic(proxy_broker.bootstrap, "js", partitions=2)
    values = [{"n": 1, "s": "a"}, [1, 2, 3], "text", 7.5, None]
    records = [{"key": {"id": i}, "value": v} for i, v in enumerate(values)]
    body = produce(http, "js", records, fmt=JSON, path="/partitions/1")
    assert [o["partition"] for o in body["offsets"]] == [1] * 5
    assert [o["offset"] for o in body["offsets"]] == [0, 1, 2, 3, 4]
    got = _read_all(proxy_broker.bootstrap, "js", 5)
    assert [json.loads(m.key()) for m in got] == [{"id": i} for i in range(5)]
    assert [None if m.value() is None else json.loads(m.value()) for m in got] == values

    name = new_consumer(http, "g-js", format="json", **{"auto.offset.reset": "earliest"})
    base = f"/consumers/g-js/instances/{name}"
    assert http.post(f"{base}/subscription", json={"topics": ["js"]}).status_code == 204
    recs = consume_until(http, base, 5, fmt=JSON)
    assert [r["value"] for r in recs] == values
    assert [r["key"] for r in recs] == [{"id": i} for i in range(5)]
    assert {r["topic"] for r in recs} == {"js"} and {r["partition"] for r in recs} == {1}
    assert http.delete(base).status_code == 204


def test_proxy_reads_what_confluent_kafka_wrote(proxy_broker, http):
    make_topic(proxy_broker.bootstrap, "ck", partitions=2)
    producer = Producer({"bootstrap.servers": proxy_broker.bootstrap})
    for i in range(6):
        producer.produce("ck", key=f"k{i}".encode(), value=f"v{i}".encode(), partition=i % 2)
    assert producer.flush(10) == 0
    name = new_consumer(http, "g-ck", **{"auto.offset.reset": "earliest"})
    base = f"/consumers/g-ck/instances/{name}"
    r = http.post(
        f"{base}/assignments",
        json={"partitions": [{"topic": "ck", "partition": 0}, {"topic": "ck", "partition": 1}]},
    )
    assert r.status_code == 204
    recs = consume_until(http, base, 6)
    assert sorted((unb64(r["key"]), unb64(r["value"])) for r in recs) == [
        (f"k{i}".encode(), f"v{i}".encode()) for i in range(6)
    ]
    r = http.get(
        "/topics/ck/partitions/1/records", params={"offset": 1}, headers={"Accept": BINARY}
    )
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(BINARY)
    assert [(x["offset"], unb64(x["value"])) for x in r.json()] == [(1, b"v3"), (2, b"v5")]
    r = http.get("/topics/ck/partitions/0/offsets", headers={"Accept": V2})
    assert r.json() == {"beginning_offset": 0, "end_offset": 3}
    assert http.delete(base).status_code == 204


@pytest.mark.parametrize("max_bytes", [1, 5])
def test_records_max_bytes_does_not_skip(proxy_broker, http, max_bytes):
    topic = f"mb{max_bytes}"
    make_topic(proxy_broker.bootstrap, topic)
    produce(http, topic, [{"value": b64(f"val{i}")} for i in range(6)])
    name = new_consumer(http, f"g-{topic}", **{"auto.offset.reset": "earliest"})
    base = f"/consumers/g-{topic}/instances/{name}"
    http.post(f"{base}/assignments", json={"partitions": [{"topic": topic, "partition": 0}]})
    offsets = []
    for _ in range(40):
        r = http.get(f"{base}/records", params={"timeout": 300, "max_bytes": max_bytes})
        assert r.status_code == 200
        assert len(r.json()) <= 1
        offsets += [x["offset"] for x in r.json()]
        if len(offsets) == 6:
            break
    assert offsets == list(range(6))
