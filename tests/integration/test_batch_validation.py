"""Produce refuses the batches Kafka's LogValidator refuses (issue 19 defect 4, issue 9), and
nothing of a refused batch is appended: the next good batch lands where it would have."""

from __future__ import annotations

import time

import confluent_kafka as ck
import httpx
import pytest
from confluent_kafka.admin import AdminClient, NewTopic
from kio.schema.errors import ErrorCode

from core.model.records import (
    COMPRESSION_GZIP,
    COMPRESSION_LZ4,
    COMPRESSION_NONE,
    COMPRESSION_SNAPPY,
    COMPRESSION_ZSTD,
    Record,
    build_batch,
)
from tests.support.batches import body_of, partition_response, patch, produce_request, with_body
from tests.support.broker import BrokerProcess
from tests.support.raw_client import RawClient

HOUR_MS = 3_600_000
CODECS = [COMPRESSION_NONE, COMPRESSION_GZIP, COMPRESSION_SNAPPY, COMPRESSION_LZ4, COMPRESSION_ZSTD]


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = BrokerProcess(tmp_path_factory.mktemp("batchval") / "broker").start()
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    topics = [
        NewTopic("plain", 1, 1),
        NewTopic("compacted", 1, 1, config={"cleanup.policy": "compact"}),
        NewTopic("ahead", 1, 1, config={"message.timestamp.after.max.ms": "60000"}),
        NewTopic("behind", 1, 1, config={"message.timestamp.before.max.ms": "60000"}),
        NewTopic("diff", 1, 1, config={"message.timestamp.difference.max.ms": "60000"}),
        NewTopic("append", 1, 1, config={"message.timestamp.type": "LogAppendTime"}),
        NewTopic("closed", 1, 1),
    ]
    for future in admin.create_topics(topics).values():
        future.result(15)
    yield b
    try:
        b.stop()
    except Exception:
        b.kill()


@pytest.fixture(scope="module")
def client(broker):
    c = RawClient(broker.kafka_port)
    yield c
    c.close()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def batch(count: int = 2, *, keyed: bool = True, stamp_ms: int | None = None, codec: int = 0):
    records = [Record(b"k%d" % i if keyed else None, b"v" * 50) for i in range(count)]
    return build_batch(records, timestamp_ms=stamp_ms or now_ms(), compression=codec)


def produce(client, topic: str, records: bytes, version: int = 9):
    return partition_response(client.request(produce_request(topic, records, version=version)))


def next_offset(client, topic: str) -> int:
    """Where a good one-record batch lands: the partition's next offset."""
    resp = produce(client, topic, bytes(batch(1)))
    assert resp.error_code == ErrorCode.none, resp
    return resp.base_offset


def assert_refused(client, topic: str, records: bytes, code: ErrorCode, version: int = 9):
    before = next_offset(client, topic)
    resp = produce(client, topic, records, version)
    assert resp.error_code == code, resp
    assert resp.base_offset == -1
    assert next_offset(client, topic) == before + 1  # nothing of the refused batch was stored
    return resp


# ---- inconsistent headers and records (issue 19) ------------------------------------------------


def test_last_offset_delta_of_2_pow_31_is_refused_and_offsets_stay_sane(client):
    good = batch(2)
    resp = assert_refused(
        client, "plain", bytes(patch(good, last_offset_delta=2**31 - 1)), ErrorCode.invalid_record
    )
    assert "Inconsistent batch offset range" in resp.error_message
    assert next_offset(client, "plain") < 100


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"record_count": 3, "last_offset_delta": 2}, "premature EOF"),
        ({"record_count": 1, "last_offset_delta": 0}, "records still remaining"),
        ({"record_count": 3}, "Inconsistent batch offset range"),
        ({"record_count": 0, "last_offset_delta": -1}, None),
        ({"record_count": 100_000, "last_offset_delta": 99_999}, "cannot fit"),
        ({"magic": 1}, "magic"),
        ({"attributes": 0x20}, "control records"),
        ({"producer_id": 7, "producer_epoch": 0, "base_sequence": -1}, "sequence"),
    ],
    ids=[
        "count-over",
        "count-under",
        "delta-vs-count",
        "empty",
        "huge-count",
        "magic1",
        "control",
        "no-seq",
    ],
)
def test_inconsistent_header_is_invalid_record(client, fields, words):
    resp = assert_refused(
        client, "plain", bytes(patch(batch(2), **fields)), ErrorCode.invalid_record
    )
    if words:
        assert words in resp.error_message


def test_offset_delta_out_of_sequence_names_the_record(client):
    records = [Record(b"a", b"1", offset=0), Record(b"b", b"2", offset=5)]
    bad = patch(build_batch(records, timestamp_ms=now_ms()), last_offset_delta=1)
    resp = assert_refused(client, "plain", bytes(bad), ErrorCode.invalid_record)
    assert [e.batch_index for e in resp.record_errors] == [1]


def test_trailing_garbage_and_truncated_record_are_invalid_record(client):
    good = batch(2)
    assert_refused(
        client,
        "plain",
        bytes(with_body(good, body_of(good) + b"\x00" * 9)),
        ErrorCode.invalid_record,
    )
    assert_refused(
        client, "plain", bytes(with_body(good, body_of(good)[:-3])), ErrorCode.invalid_record
    )


def test_wrong_crc_is_corrupt_message(client):
    bad = batch(2)
    bad[-1] ^= 0xFF
    assert_refused(client, "plain", bytes(bad), ErrorCode.corrupt_message)


def test_produce_v3_refuses_too(client):
    assert_refused(
        client, "plain", bytes(patch(batch(2), record_count=5)), ErrorCode.invalid_record, 3
    )


# ---- timestamps ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "topic, offset_ms",
    [
        ("ahead", 2 * 60_000),
        ("behind", -2 * 60_000),
        ("diff", 2 * 60_000),
        ("diff", -2 * 60_000),
        ("plain", 2 * HOUR_MS),
    ],
)
@pytest.mark.parametrize("codec", [COMPRESSION_NONE, COMPRESSION_ZSTD])
def test_timestamp_out_of_range_is_invalid_timestamp(client, topic, offset_ms, codec):
    records = bytes(batch(3, stamp_ms=now_ms() + offset_ms, codec=codec))
    resp = assert_refused(client, topic, records, ErrorCode.invalid_timestamp)
    assert "out of range" in resp.error_message or "invalid timestamp" in resp.error_message
    if codec == COMPRESSION_NONE:  # per-record errors where the records were read
        assert [e.batch_index for e in resp.record_errors] == [0, 1, 2]


def test_timestamps_in_range_and_log_append_time_are_accepted(client):
    for topic, stamp in [
        ("plain", now_ms() - 10 * 365 * 24 * HOUR_MS),
        ("ahead", now_ms() + 1000),
        ("append", now_ms() + 10 * HOUR_MS),
    ]:
        resp = produce(client, topic, bytes(batch(2, stamp_ms=stamp)))
        assert resp.error_code == ErrorCode.none, (topic, resp)


def test_one_late_record_among_good_ones_is_named(client):
    t = now_ms()
    records = [
        Record(b"a", b"1", timestamp_ms=t),
        Record(b"b", b"2", timestamp_ms=t + 2 * HOUR_MS),
        Record(b"c", b"3", timestamp_ms=t),
    ]
    resp = assert_refused(client, "plain", bytes(build_batch(records)), ErrorCode.invalid_timestamp)
    assert [e.batch_index for e in resp.record_errors] == [1]


def test_client_set_log_append_time_bit_is_invalid_timestamp(client):
    assert_refused(
        client, "plain", bytes(patch(batch(2), attributes=0x08)), ErrorCode.invalid_timestamp
    )


# ---- compacted topics (issue 9) ---------------------------------------------------------------


@pytest.mark.parametrize("codec", CODECS, ids=["none", "gzip", "snappy", "lz4", "zstd"])
def test_compacted_topic_refuses_keyless_records(client, codec):
    records = [Record(b"k0", b"v"), Record(None, b"v"), Record(b"k2", b"v"), Record(None, b"v")]
    bad = build_batch(records, timestamp_ms=now_ms(), compression=codec)
    resp = assert_refused(client, "compacted", bytes(bad), ErrorCode.invalid_record)
    assert [e.batch_index for e in resp.record_errors] == [1, 3]
    message = resp.record_errors[0].batch_index_error_message
    assert (
        message
        == "Compacted topic cannot accept message without key in topic partition compacted-0."
    )
    ok = produce(client, "compacted", bytes(batch(3, codec=codec)))
    assert ok.error_code == ErrorCode.none


def test_confluent_kafka_keyless_to_compacted_fails_keyed_succeeds(broker):
    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "compression.type": codec})
        results = []
        for key in (None, b"k"):
            producer.produce(
                "compacted",
                key=key,
                value=b"v",
                partition=0,
                on_delivery=lambda e, m: results.append(e),
            )
            producer.flush(15)
        assert len(results) == 2, codec
        assert results[0] is not None and results[0].code() == ck.KafkaError.INVALID_RECORD, codec
        assert results[1] is None, (codec, results[1])


# ---- kafka_noproduce_topics (issue 9) ---------------------------------------------------------


def set_cluster(broker, upsert: dict, remove: list) -> None:
    r = httpx.put(
        f"{broker.admin_url}/v1/cluster_config",
        json={"upsert": upsert, "remove": remove},
        timeout=10,
    )
    assert r.status_code == 200, r.text


def test_noproduce_topics_answer_topic_authorization_failed(broker, client):
    set_cluster(broker, {"kafka_noproduce_topics": ["closed"]}, [])
    try:
        deadline = time.monotonic() + 10
        while produce(client, "closed", bytes(batch(1))).error_code == ErrorCode.none:
            assert time.monotonic() < deadline, "kafka_noproduce_topics never took effect"
            time.sleep(0.1)
        assert (
            produce(client, "closed", bytes(batch(1))).error_code
            == ErrorCode.topic_authorization_failed
        )
        assert produce(client, "plain", bytes(batch(1))).error_code == ErrorCode.none
    finally:
        set_cluster(broker, {}, ["kafka_noproduce_topics"])
    assert produce(client, "closed", bytes(batch(1))).error_code == ErrorCode.none
