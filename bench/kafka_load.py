"""Produce, consume and end-to-end latency against a broker, with confluent-kafka."""

from __future__ import annotations

import struct
import threading
import time

import confluent_kafka as ck
from confluent_kafka.admin import AdminClient, NewTopic

_TS = struct.Struct(">d")


def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(30)


def produce(bootstrap: str, topic: str, count: int, size: int, deadline_s: float) -> dict:
    producer = ck.Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "linger.ms": 5,
            "batch.size": 1_000_000,
            "queue.buffering.max.kbytes": 262_144,
            "enable.idempotence": True,
        }
    )
    value = b"x" * size
    errors = []
    acked = [0]

    def done(err, _msg):
        if err is None:
            acked[0] += 1
        else:
            errors.append(err)

    started = time.perf_counter()
    sent = 0
    while sent < count and time.perf_counter() - started < deadline_s:
        try:
            producer.produce(topic, value=value, on_delivery=done)
            sent += 1
        except BufferError:
            producer.poll(0.01)
    producer.flush(deadline_s)
    elapsed = time.perf_counter() - started
    return {
        "records": acked[0],
        "errors": len(errors),
        "seconds": elapsed,
        "mb_s": acked[0] * size / 1e6 / elapsed,
        "records_s": acked[0] / elapsed,
    }


def consume(bootstrap: str, topic: str, partitions: int, count: int, deadline_s: float) -> dict:
    consumer = ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "bench-reader",
            "enable.auto.commit": False,
            "fetch.max.bytes": 52_428_800,
            "max.partition.fetch.bytes": 10_485_760,
        }
    )
    consumer.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(partitions)])
    got = 0
    size = 0
    started = time.perf_counter()
    while got < count and time.perf_counter() - started < deadline_s:
        for m in consumer.consume(10_000, 0.5):
            if m.error() is None:
                got += 1
                size += len(m.value())
    elapsed = time.perf_counter() - started
    consumer.close()
    return {
        "records": got,
        "seconds": elapsed,
        "mb_s": size / 1e6 / elapsed,
        "records_s": got / elapsed,
    }


def latency(bootstrap: str, topic: str, rate_per_s: int, seconds: float, size: int) -> dict:
    """Produce at a fixed rate; the consumer measures produce-to-consume time per record."""
    consumer = ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "bench-latency",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 100,
        }
    )
    consumer.assign([ck.TopicPartition(topic, 0, ck.OFFSET_END)])
    consumer.consume(1, 1.0)
    producer = ck.Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 1})
    total = int(rate_per_s * seconds)
    pad = b"y" * max(size - _TS.size, 0)

    def run_producer() -> None:
        start = time.perf_counter()
        for i in range(total):
            due = start + i / rate_per_s
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            producer.produce(topic, value=_TS.pack(time.time()) + pad, partition=0)
            producer.poll(0)
        producer.flush(30)

    thread = threading.Thread(target=run_producer, daemon=True)
    thread.start()
    samples = []
    deadline = time.perf_counter() + seconds + 30
    while len(samples) < total and time.perf_counter() < deadline:
        for m in consumer.consume(500, 0.005):  # return at once: batching would add latency
            if m.error() is None:
                samples.append((time.time() - _TS.unpack_from(m.value())[0]) * 1000)
    thread.join(timeout=30)
    consumer.close()
    samples.sort()

    def pct(q: float) -> float:
        return round(samples[min(int(q * len(samples)), len(samples) - 1)], 2) if samples else -1.0

    return {
        "rate_per_s": rate_per_s,
        "records": len(samples),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "p999_ms": pct(0.999),
    }
