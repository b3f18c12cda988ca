"""Latency at a fixed produce rate (confluent-kafka, acks=all, linger.ms=1, one partition):
per record both the produce-ack latency (produce() call -> delivery report) and the end-to-end
latency (produce() call -> a consumer in this process sees the record; both stamps from this
process's clock, so no clock skew).

Two producers (`client`): "idempotent" (enable.idempotence, the default figure) and
"pipelined" (no idempotence, max.in.flight 5). librdkafka's idempotent producer keeps ONE
ProduceRequest in flight per partition whatever max.in.flight says (confluentinc/librdkafka
PR #4989, open; seen here: the leader held no uncommitted batch of the partition when the next
arrived for 466 of 466 batches on three nodes, 1,619 of 1,622 on one; 767 of 4,603 without
idempotence), so each record also waits for the round trip before its own: a closed loop.
The pipelined producer has up to 5 batches in flight (the broker answers them in order).

At a fixed rate a stall of S ms delays ~S * rate records by up to S ms, so over a 10 s run
at 5,000 records/s one stall longer than ~100 ms sets the p99 (the 500th worst record):
`max_ack_gap_ms`, the longest time between two delivery reports, is reported beside it. A p99
far above it means the client fell behind for the whole run, not one stall.
"""

from __future__ import annotations

import struct
import threading
import time

import confluent_kafka as ck

_TS = struct.Struct(">d")
TAIL_S = 30.0


CLIENTS = {
    "idempotent": {"enable.idempotence": True},
    "pipelined": {"enable.idempotence": False, "max.in.flight.requests.per.connection": 5},
}


def fixed_rate(
    bootstrap: str,
    topic: str,
    rate_per_s: int,
    seconds: float,
    size: int,
    client: str = "idempotent",
) -> dict:
    consumer = ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "bench-cluster-latency",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 100,
        }
    )
    consumer.assign([ck.TopicPartition(topic, 0, ck.OFFSET_END)])
    consumer.consume(1, 1.0)
    producer = ck.Producer(
        {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 1, **CLIENTS[client]}
    )
    total = int(rate_per_s * seconds)
    pad = b"y" * max(size - _TS.size, 0)
    acks: list[float] = []
    errors = [0]
    produce_s = [0.0]
    gap = [0.0, 0.0]  # (last delivery report, longest gap between two), perf_counter s

    def delivered(err, msg) -> None:
        if err is not None:
            errors[0] += 1
            return
        stamp = _TS.unpack_from(msg.value())[0]
        if stamp > 0:  # not a warm-up record
            acks.append((time.time() - stamp) * 1000)
            now = time.perf_counter()
            if gap[0]:
                gap[1] = max(gap[1], now - gap[0])
            gap[0] = now

    _warm_up(producer, topic, pad, delivered)

    def run_producer() -> None:
        start = time.perf_counter()
        for i in range(total):
            delay = start + i / rate_per_s - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            producer.produce(
                topic, value=_TS.pack(time.time()) + pad, partition=0, on_delivery=delivered
            )
            producer.poll(0)
        produce_s[0] = time.perf_counter() - start
        producer.flush(TAIL_S)

    thread = threading.Thread(target=run_producer, daemon=True)
    thread.start()
    e2e: list[float] = []
    deadline = time.perf_counter() + seconds + TAIL_S
    while len(e2e) < total and time.perf_counter() < deadline:
        for m in consumer.consume(500, 0.005):  # return at once: batching would add latency
            if m.error() is None and (stamp := _TS.unpack_from(m.value())[0]) > 0:
                e2e.append((time.time() - stamp) * 1000)
    thread.join(timeout=TAIL_S)
    consumer.close()
    return {
        "client": client,
        "rate_per_s": rate_per_s,
        "records": total,
        "errors": errors[0],
        "achieved_rate_per_s": round(total / produce_s[0], 1) if produce_s[0] else None,
        "ack_ms": percentiles(acks),
        "max_ack_gap_ms": round(gap[1] * 1000, 1),
        "end_to_end_ms": percentiles(e2e),
    }


def _warm_up(producer: ck.Producer, topic: str, pad: bytes, delivered) -> None:
    """Connections, metadata and the idempotent producer id before the clock starts (else the
    first ~0.5 s of records wait for them: p99 was that wait). Warm-up records carry stamp 0."""
    for _ in range(10):
        producer.produce(topic, value=_TS.pack(0.0) + pad, partition=0, on_delivery=delivered)
    producer.flush(TAIL_S)


def percentiles(samples: list[float]) -> dict:
    s = sorted(samples)

    def pct(q: float) -> float:
        return round(s[min(int(q * len(s)), len(s) - 1)], 2) if s else -1.0

    return {"n": len(s), "p50": pct(0.50), "p99": pct(0.99), "p999": pct(0.999), "max": pct(1.0)}
