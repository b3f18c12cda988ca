"""Crash safety: acks=all records acknowledged before a kill -9 are all there after restart,
in order, with contiguous offsets and no duplicates."""

from __future__ import annotations

import time

import confluent_kafka as ck

from tests.support.topics import make_topic

PARTITIONS = 3
ACKED_BEFORE_KILL = 3000
MAX_RECORDS = 50_000
DEADLINE_S = 60


def test_kill_9_mid_load_loses_no_acknowledged_record(broker):
    make_topic(broker.bootstrap, "crash", PARTITIONS)

    acked: dict[int, dict[int, bytes]] = {p: {} for p in range(PARTITIONS)}
    failed = []

    def on_delivery(err, msg):
        if err is None:
            acked[msg.partition()][msg.offset()] = msg.value()
        else:
            failed.append(err)

    producer = ck.Producer(
        {
            "bootstrap.servers": broker.bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 2,
            "message.timeout.ms": 8000,
            "retry.backoff.ms": 100,
        }
    )
    sent = 0
    killed = False
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if sent < MAX_RECORDS:
            try:
                producer.produce(
                    "crash",
                    value=f"rec-{sent:06d}".encode(),
                    partition=sent % PARTITIONS,
                    on_delivery=on_delivery,
                )
                sent += 1
            except BufferError:
                producer.poll(0.05)
        producer.poll(0 if sent < MAX_RECORDS else 0.05)
        if not killed and sum(len(v) for v in acked.values()) >= ACKED_BEFORE_KILL:
            broker.kill()  # SIGKILL while requests are in flight
            killed = True
            break
    assert killed, "the broker was never killed: too few acknowledgements"
    acked_at_kill = {p: dict(v) for p, v in acked.items()}
    producer.flush(10)  # in-flight requests fail or time out against the dead broker

    broker.start()
    producer.flush(30)  # retries against the restarted broker

    consumer = ck.Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": "crash-check",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([ck.TopicPartition("crash", p, ck.OFFSET_BEGINNING) for p in range(PARTITIONS)])
    stored: dict[int, list[tuple[int, bytes]]] = {p: [] for p in range(PARTITIONS)}
    ends = {
        p: consumer.get_watermark_offsets(ck.TopicPartition("crash", p), timeout=10)[1]
        for p in range(PARTITIONS)
    }
    deadline = time.monotonic() + DEADLINE_S
    while sum(len(v) for v in stored.values()) < sum(ends.values()) and time.monotonic() < deadline:
        for m in consumer.consume(1000, 1.0):
            assert m.error() is None, m.error()
            stored[m.partition()].append((m.offset(), m.value()))
    consumer.close()

    for p in range(PARTITIONS):
        offsets = [o for o, _ in stored[p]]
        assert offsets == list(range(ends[p])), f"partition {p}: offsets not contiguous from 0"
        values = [v for _, v in stored[p]]
        assert len(values) == len(set(values)), f"partition {p}: duplicate records"
        assert sorted(values) == values, f"partition {p}: records out of order"
        by_offset = dict(stored[p])
        for offset, value in acked_at_kill[p].items():
            assert by_offset.get(offset) == value, f"acknowledged record lost at {p}/{offset}"
        for offset, value in acked[p].items():
            assert by_offset.get(offset) == value, (
                f"acknowledged (after restart) record lost at {p}/{offset}"
            )
