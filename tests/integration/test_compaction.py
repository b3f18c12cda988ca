"""Compaction on a real broker: a cleanup.policy=compact topic with 1 MiB segments gets
many updates to a few keys from confluent-kafka; once housekeeping has compacted the
closed segments, a consumer from the beginning sees every key's latest value, offsets
that increase with gaps, and none of the older duplicates."""

from __future__ import annotations

import pathlib
import time

from tests.support.broker import BrokerProcess
from tests.support.topics import make_topic
from tests.support.wait import wait_for

TOPIC = "compacted"
KEYS = [f"key-{i}".encode() for i in range(5)]
ROUNDS = 400
VALUE_BYTES = 2048  # 5 x 400 x 2 KiB: about 4 MiB, four 1 MiB segments
DEADLINE_S = 60


def value(key: bytes, round_: int) -> bytes:
    return f"{key.decode()}:{round_}:".encode().ljust(VALUE_BYTES, b"#")


def produce_updates(bootstrap: str) -> None:
    import confluent_kafka as ck

    producer = ck.Producer(
        {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5, "enable.idempotence": True}
    )
    errors = []
    for round_ in range(ROUNDS):
        for key in KEYS:
            producer.produce(
                TOPIC,
                key=key,
                value=value(key, round_),
                partition=0,
                on_delivery=lambda e, m: errors.append(e) if e else None,
            )
            producer.poll(0)
    assert producer.flush(30) == 0 and errors == []


def log_bytes(data_dir: pathlib.Path) -> int:
    return sum(p.stat().st_size for p in data_dir.rglob("*.log") if TOPIC in str(p.parent))


def wait_until_compacted(data_dir: pathlib.Path, produced_bytes: int) -> None:
    wait_for(
        lambda: log_bytes(data_dir) < produced_bytes / 2,
        f"the closed segments of {produced_bytes} bytes to be compacted below half",
        timeout_s=DEADLINE_S,
        interval_s=0.2,
    )


def consume_all(bootstrap: str) -> list[tuple[int, bytes, bytes]]:
    import confluent_kafka as ck

    consumer = ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "compaction-reader",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        _, high = consumer.get_watermark_offsets(ck.TopicPartition(TOPIC, 0), timeout=10)
        consumer.assign([ck.TopicPartition(TOPIC, 0, ck.OFFSET_BEGINNING)])
        got: list[tuple[int, bytes, bytes]] = []
        deadline = time.monotonic() + DEADLINE_S
        while (not got or got[-1][0] < high - 1) and time.monotonic() < deadline:
            for message in consumer.consume(500, 1.0):
                assert message.error() is None, message.error()
                got.append((message.offset(), message.key(), message.value()))
        assert got and got[-1][0] == high - 1, "did not reach the high watermark"
        return got
    finally:
        consumer.close()


def test_compacted_topic_keeps_the_latest_value_per_key(tmp_path) -> None:
    broker = BrokerProcess(tmp_path / "b", "--set", "log_compaction_interval_ms=200").start()
    try:
        configs = {"cleanup.policy": "compact", "segment.bytes": str(1024 * 1024)}
        make_topic(broker.bootstrap, TOPIC, 1, configs)
        produce_updates(broker.bootstrap)
        # the values alone; the disk is not measured here, as compaction may already have run
        produced_bytes = len(KEYS) * ROUNDS * VALUE_BYTES
        wait_until_compacted(broker.data_dir, produced_bytes)
        got = consume_all(broker.bootstrap)
    finally:
        broker.stop()
    offsets = [offset for offset, _, _ in got]
    assert offsets[-1] + 1 == len(KEYS) * ROUNDS, "every produced record was stored"
    assert offsets == sorted(set(offsets)), "offsets increase"
    assert offsets[-1] + 1 > len(offsets), "offsets have gaps where records went"
    for key in KEYS:  # the latest value of every key is there, and only once
        assert [v for _, k, v in got if k == key][-1] == value(key, ROUNDS - 1)
        assert [v for _, k, v in got].count(value(key, ROUNDS - 1)) == 1
    rounds = [int(v.split(b":")[1]) for _, _, v in got]
    assert min(rounds) >= ROUNDS // 2, "older duplicates in closed segments are gone"
    assert len(got) < len(KEYS) * ROUNDS / 2
