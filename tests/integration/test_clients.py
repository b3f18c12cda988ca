"""Real clients against a real broker: each produces and consumes 10,000 records over
3 partitions, with keys, headers and every compression codec, and reads back exactly
what it wrote (per partition, in order)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
RECORDS = 10_000
PARTITIONS = 3
DEADLINE_S = 60


def make_topic(bootstrap: str, name: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        admin.create_topics([NewTopic(name, PARTITIONS, 1)])
    finally:
        admin.close()


def expected_records(tag: str) -> list[tuple[int, bytes, bytes, list[tuple[str, bytes]]]]:
    """(partition, key, value, headers) for every record, codec changing every 2,000."""
    out = []
    for i in range(RECORDS):
        codec = CODECS[i * len(CODECS) // RECORDS]
        out.append(
            (
                i % PARTITIONS,
                f"{tag}-k{i}".encode(),
                f"{tag}-{codec}-v{i}-".encode() * 4,
                [("seq", str(i).encode()), ("codec", codec.encode())],
            )
        )
    return out


def by_partition(rows) -> dict[int, list]:
    out: dict[int, list] = {p: [] for p in range(PARTITIONS)}
    for partition, key, value, headers in rows:
        out[partition].append((key, value, [(k, bytes(v)) for k, v in headers]))
    return out


def test_confluent_kafka(broker):
    import confluent_kafka as ck

    make_topic(broker.bootstrap, "ck")
    want = expected_records("ck")
    for codec in CODECS:
        producer = ck.Producer(
            {
                "bootstrap.servers": broker.bootstrap,
                "acks": "all",
                "linger.ms": 5,
                "enable.idempotence": True,
                "compression.type": codec,
            }
        )
        errors = []
        for p, k, v, h in want:
            if h[1][1].decode() == codec:
                producer.produce(
                    "ck",
                    key=k,
                    value=v,
                    headers=h,
                    partition=p,
                    on_delivery=lambda e, m: errors.append(e) if e else None,
                )
                producer.poll(0)
        assert producer.flush(30) == 0
        assert errors == []
    consumer = ck.Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": "ck-reader",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.assign([ck.TopicPartition("ck", p, ck.OFFSET_BEGINNING) for p in range(PARTITIONS)])
    got = []
    deadline = time.monotonic() + DEADLINE_S
    while len(got) < RECORDS and time.monotonic() < deadline:
        for m in consumer.consume(500, 1.0):
            assert m.error() is None, m.error()
            got.append((m.partition(), m.key(), m.value(), m.headers() or []))
    consumer.close()
    assert by_partition(got) == by_partition(want)


def test_kafka_python(broker):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    make_topic(broker.bootstrap, "kp")
    want = expected_records("kp")
    for codec in CODECS:
        producer = KafkaProducer(
            bootstrap_servers=broker.bootstrap,
            acks="all",
            compression_type=None if codec == "none" else codec,
            linger_ms=5,
        )
        futures = [
            producer.send("kp", key=k, value=v, headers=h, partition=p)
            for p, k, v, h in want
            if h[1][1].decode() == codec
        ]
        producer.flush(30)
        for f in futures:
            f.get(timeout=10)
        producer.close()
    consumer = KafkaConsumer(
        bootstrap_servers=broker.bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    consumer.assign([TopicPartition("kp", p) for p in range(PARTITIONS)])
    got = []
    deadline = time.monotonic() + DEADLINE_S
    while len(got) < RECORDS and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=1000, max_records=2000).values():
            got.extend((m.partition, m.key, m.value, list(m.headers)) for m in records)
    consumer.close()
    assert by_partition(got) == by_partition(want)


def test_aiokafka(broker):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    make_topic(broker.bootstrap, "aio")
    want = expected_records("aio")

    async def run() -> list:
        for codec in CODECS:
            producer = AIOKafkaProducer(
                bootstrap_servers=broker.bootstrap,
                acks="all",
                enable_idempotence=True,
                compression_type=None if codec == "none" else codec,
                linger_ms=5,
            )
            await producer.start()
            try:
                futures = [
                    await producer.send("aio", key=k, value=v, headers=h, partition=p)
                    for p, k, v, h in want
                    if h[1][1].decode() == codec
                ]
                await asyncio.wait_for(asyncio.gather(*futures), 30)
            finally:
                await producer.stop()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=broker.bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        got = []
        try:
            consumer.assign([TopicPartition("aio", p) for p in range(PARTITIONS)])
            await consumer.seek_to_beginning()
            deadline = time.monotonic() + DEADLINE_S
            while len(got) < RECORDS and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=1000, max_records=2000)
                for records in batches.values():
                    got.extend((m.partition, m.key, m.value, list(m.headers)) for m in records)
        finally:
            await consumer.stop()
        return got

    assert by_partition(asyncio.run(run())) == by_partition(want)


@pytest.mark.skipif(
    shutil.which("kcat") is None, reason="kcat is not installed (apt-get install kcat)"
)
def test_kcat(broker, tmp_path):
    make_topic(broker.bootstrap, "kc")
    per_codec = RECORDS // len(CODECS)
    want: dict[int, list] = {p: [] for p in range(PARTITIONS)}
    for n, codec in enumerate(CODECS):
        for p in range(PARTITIONS):
            lines = []
            for i in range(n * per_codec + p, (n + 1) * per_codec, PARTITIONS):
                key, value = f"kc-k{i}", f"kc-{codec}-v{i}"
                lines.append(f"{key}\t{value}")
                want[p].append((key, value, f"codec={codec}"))
            if not lines:
                continue
            subprocess.run(
                [
                    "kcat",
                    "-b",
                    broker.bootstrap,
                    "-t",
                    "kc",
                    "-P",
                    "-p",
                    str(p),
                    "-K",
                    "\t",
                    "-z",
                    codec,
                    "-H",
                    f"codec={codec}",
                    "-X",
                    "acks=all",
                ],
                input="\n".join(lines) + "\n",
                text=True,
                check=True,
                timeout=60,
            )
    out = subprocess.run(
        [
            "kcat",
            "-b",
            broker.bootstrap,
            "-t",
            "kc",
            "-C",
            "-e",
            "-q",
            "-o",
            "beginning",
            "-f",
            "%p\t%k\t%s\t%h\n",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    got: dict[int, list] = {p: [] for p in range(PARTITIONS)}
    for line in out.stdout.splitlines():
        p, key, value, headers = line.split("\t")
        got[int(p)].append((key, value, headers))
    assert sum(len(v) for v in got.values()) == RECORDS
    assert got == want
