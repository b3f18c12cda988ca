"""Fetch as Kafka clients expect it (issue 9): a partition error carries empty records, so
librdkafka sees the error and resets instead of rejecting the whole response; and the
`kafka_max_bytes_per_fetch` cluster property caps what one partition returns."""

from __future__ import annotations

import datetime
import shutil
import struct
import subprocess
import time

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kio.schema.errors import ErrorCode
from kio.schema.produce.v7 import request as produce7

from core.model.records import Record, build_batch
from tests.support.broker import BrokerProcess
from tests.support.raw_client import RawClient, fetch_v11

RECORDS_PER_PARTITION = 10


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = BrokerProcess(tmp_path_factory.mktemp("fetch-fidelity") / "broker").start()
    admin = KafkaAdminClient(bootstrap_servers=b.bootstrap)
    admin.create_topics([NewTopic("reset", 2, 1), NewTopic("capped", 1, 1)])
    admin.close()
    client = RawClient(b.kafka_port)
    for partition in (0, 1):
        for i in range(RECORDS_PER_PARTITION):
            produce(client, "reset", partition, [Record(key=None, value=b"v%d" % i)])
    for i in range(20):  # 20 batches of about 1 KiB each
        produce(client, "capped", 0, [Record(key=None, value=bytes([65 + i]) * 1000)])
    client.close()
    yield b
    b.stop()


def produce(client: RawClient, topic: str, partition: int, records: list[Record]) -> None:
    batch = bytes(build_batch(records))
    resp = client.request(
        produce7.ProduceRequest(
            transactional_id=None,
            acks=-1,
            timeout=datetime.timedelta(seconds=5),
            topic_data=(
                produce7.TopicProduceData(
                    name=topic,
                    partition_data=(produce7.PartitionProduceData(index=partition, records=batch),),
                ),
            ),
        )
    )
    assert resp.responses[0].partition_responses[0].error_code == ErrorCode.none


def test_librdkafka_resets_a_partition_assigned_past_the_end(broker):
    """Partition 0 starts at 1000 (OFFSET_OUT_OF_RANGE), partition 1 at 0: both are read."""
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": "reset-test",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.assign([TopicPartition("reset", 0, 1000), TopicPartition("reset", 1, 0)])
    got: dict[int, list[int]] = {0: [], 1: []}
    started = time.monotonic()
    while time.monotonic() - started < 10 and sum(map(len, got.values())) < 20:
        msg = consumer.poll(0.2)
        if msg is not None and msg.error() is None:
            got[msg.partition()].append(msg.offset())
    elapsed = time.monotonic() - started
    print(f"librdkafka read both partitions in {elapsed:.2f}s")
    consumer.close()
    assert got == {p: list(range(RECORDS_PER_PARTITION)) for p in (0, 1)}
    assert elapsed < 5, f"took {elapsed:.1f}s"


@pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed")
def test_kcat_resets_a_partition_assigned_past_the_end(broker):
    out = subprocess.run(
        [
            "kcat",
            "-C",
            "-b",
            broker.bootstrap,
            "-t",
            "reset",
            "-p",
            "0",
            "-o",
            "1000",
            "-e",
            "-X",
            "auto.offset.reset=earliest",
            "-f",
            "%o\n",
        ],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert out.stdout.split() == [str(i) for i in range(RECORDS_PER_PARTITION)], out.stderr


def fetch_records(port: int, partition_max_bytes: int) -> bytes:
    client = RawClient(port)
    try:
        resp = client.request(
            fetch_v11(
                "capped",
                max_bytes=100 * 1024 * 1024,
                partition_max_bytes=partition_max_bytes,
                min_bytes=0,
            )
        )
    finally:
        client.close()
    part = resp.responses[0].partitions[0]
    assert part.error_code == ErrorCode.none
    return part.records or b""


def batch_sizes(records: bytes) -> list[int]:
    sizes, pos = [], 0
    while pos + 12 <= len(records):
        (length,) = struct.unpack_from(">i", records, pos + 8)
        sizes.append(12 + length)
        pos += 12 + length
    assert pos == len(records), "whole batches only"
    return sizes


def set_cap(broker, value: int | None) -> None:
    body = {"upsert": {"kafka_max_bytes_per_fetch": value}, "remove": []}
    if value is None:
        body = {"upsert": {}, "remove": ["kafka_max_bytes_per_fetch"]}
    r = httpx.put(f"{broker.admin_url}/v1/cluster_config", json=body, timeout=10)
    assert r.status_code == 200, r.text


def test_kafka_max_bytes_per_fetch_caps_one_partition(broker):
    everything = batch_sizes(fetch_records(broker.kafka_port, 100 * 1024 * 1024))
    assert len(everything) == 20
    set_cap(broker, 4096)
    try:
        capped = batch_sizes(fetch_records(broker.kafka_port, 100 * 1024 * 1024))
        assert 1 <= len(capped) < 20 and sum(capped) <= 4096
        set_cap(broker, 100)  # smaller than a batch: still one whole batch, as Kafka does
        assert len(batch_sizes(fetch_records(broker.kafka_port, 100 * 1024 * 1024))) == 1
    finally:
        set_cap(broker, None)
    assert len(batch_sizes(fetch_records(broker.kafka_port, 100 * 1024 * 1024))) == 20
