"""Produce-time batch validation (core.model.validation) on hand-built batches."""

from __future__ import annotations

import pytest

from core.cluster.topic_config import produce_policy
from core.model.batch import parse_header
from core.model.records import (
    COMPRESSION_GZIP,
    COMPRESSION_LZ4,
    COMPRESSION_NONE,
    COMPRESSION_SNAPPY,
    COMPRESSION_ZSTD,
    Record,
    build_batch,
)
from core.model.validation import (
    CORRUPT_MESSAGE,
    INVALID_RECORD,
    INVALID_TIMESTAMP,
    LONG_MAX,
    InvalidBatch,
    ProducePolicy,
    validate_client_batch,
)
from tests.support.batches import body_of, patch, with_body

NOW_MS = 1_800_000_000_000
CODECS = [COMPRESSION_NONE, COMPRESSION_GZIP, COMPRESSION_SNAPPY, COMPRESSION_LZ4, COMPRESSION_ZSTD]


def check(batch, policy: ProducePolicy = ProducePolicy(), now_ms: int = NOW_MS) -> None:
    validate_client_batch(batch, parse_header(batch), policy, now_ms, "t-0")


def refused(batch, policy: ProducePolicy = ProducePolicy()) -> InvalidBatch:
    with pytest.raises(InvalidBatch) as info:
        check(batch, policy)
    return info.value


@pytest.mark.parametrize("value_bytes", [0, 50, 200, 9000, 70_000])
@pytest.mark.parametrize("count", [1, 63, 64, 65, 300])
def test_consistent_batches_pass_whatever_the_varint_widths(count, value_bytes):
    # value sizes give one-, two- and three-byte record lengths; counts cross the
    # one-to-two-byte offsetDelta boundary at 64
    records = [Record(b"k", b"v" * value_bytes)] * (count if value_bytes < 9000 else 3)
    check(build_batch(records, timestamp_ms=NOW_MS))


def test_multi_byte_timestamp_deltas_take_the_general_loop_and_pass():
    records = [Record(b"k", b"v", timestamp_ms=NOW_MS - 1000 * i) for i in range(100)]
    check(build_batch(records), ProducePolicy(timestamp_after_max_ms=3_600_000))


def test_offset_delta_must_equal_index_in_both_loops():
    for stamps in ([NOW_MS] * 3, [NOW_MS, NOW_MS + 100_000, NOW_MS]):
        records = [Record(b"k", b"v", offset=o, timestamp_ms=s) for o, s in zip([0, 1, 3], stamps)]
        error = refused(patch(build_batch(records), last_offset_delta=2))
        assert error.kind == INVALID_RECORD
        assert [e.batch_index for e in error.record_errors] == [2]


def test_negative_record_length_is_refused_without_looping():
    good = build_batch([Record(b"k", b"v")] * 2, timestamp_ms=NOW_MS)
    body = bytearray(body_of(good))
    body[0] = 0x03  # zig-zag -2
    assert refused(with_body(good, bytes(body))).kind == INVALID_RECORD


def test_huge_count_is_refused_before_walking():
    good = build_batch([Record(b"k", b"v")] * 2, timestamp_ms=NOW_MS)
    error = refused(patch(good, record_count=2**31 - 1, last_offset_delta=2**31 - 2))
    assert "cannot fit" in error.message


def test_timestamp_window_edges():
    policy = ProducePolicy(timestamp_before_max_ms=1000, timestamp_after_max_ms=500)
    check(build_batch([Record(b"k", b"v")], timestamp_ms=NOW_MS - 1000), policy)
    check(build_batch([Record(b"k", b"v")], timestamp_ms=NOW_MS + 500), policy)
    for stamp in (NOW_MS - 1001, NOW_MS + 501):
        error = refused(build_batch([Record(b"k", b"v")], timestamp_ms=stamp), policy)
        assert error.kind == INVALID_TIMESTAMP
        assert error.record_errors[0].message.startswith(f"Timestamp {stamp} of message")
    lat = ProducePolicy(log_append_time=True, timestamp_after_max_ms=0)
    check(build_batch([Record(b"k", b"v")], timestamp_ms=NOW_MS + 10**9), lat)


@pytest.mark.parametrize("codec", CODECS[1:])
def test_compressed_batches_are_checked_at_the_header(codec):
    policy = ProducePolicy(timestamp_after_max_ms=500)
    check(build_batch([Record(b"k", b"v")] * 3, timestamp_ms=NOW_MS, compression=codec), policy)
    late = build_batch([Record(b"k", b"v")] * 3, timestamp_ms=NOW_MS + 501, compression=codec)
    assert refused(late, policy).kind == INVALID_TIMESTAMP
    lying = patch(build_batch([Record(b"k", b"v")] * 3, compression=codec), record_count=4)
    assert refused(lying).kind == INVALID_RECORD


@pytest.mark.parametrize("codec", CODECS)
def test_compacted_topic_walks_even_compressed_records(codec):
    compacted = ProducePolicy(compacted=True)
    keyed = [Record(b"a", b"1"), Record(b"b", None)]
    check(build_batch(keyed, timestamp_ms=NOW_MS, compression=codec), compacted)
    keyless = [Record(b"a", b"1"), Record(None, b"2")]
    error = refused(build_batch(keyless, timestamp_ms=NOW_MS, compression=codec), compacted)
    assert (error.kind, [e.batch_index for e in error.record_errors]) == (INVALID_RECORD, [1])
    assert "only showing the first three errors" in error.message
    # a compressed batch whose declared count disagrees with its records
    short = patch(
        build_batch(keyed, timestamp_ms=NOW_MS, compression=codec),
        record_count=3,
        last_offset_delta=2,
    )
    assert refused(short, compacted).kind == INVALID_RECORD


@pytest.mark.parametrize("codec", CODECS[1:])
def test_decompression_is_bounded(codec, monkeypatch):
    monkeypatch.setattr("core.model.validation.MAX_DECOMPRESSED_BYTES", 4096)
    big = build_batch([Record(b"k", b"\0" * 100_000)], timestamp_ms=NOW_MS, compression=codec)
    assert refused(big, ProducePolicy(compacted=True)).kind == CORRUPT_MESSAGE
    garbage = with_body(big, b"\x01\x02\x03not compressed at all")
    assert refused(garbage, ProducePolicy(compacted=True)).kind == CORRUPT_MESSAGE


def test_record_errors_are_capped():
    keyless = [Record(None, b"")] * 1500
    error = refused(build_batch(keyless, timestamp_ms=NOW_MS), ProducePolicy(compacted=True))
    assert len(error.record_errors) == 1000


def test_common_shape_never_leaves_the_fast_loop(monkeypatch):
    def general(*_args, **_kwargs):
        raise AssertionError("general loop used")

    monkeypatch.setattr("core.model.validation._walk_general", general)
    records = [Record(None, b"x" * 1024, timestamp_ms=NOW_MS + i % 50) for i in range(1000)]
    check(build_batch(records), ProducePolicy(timestamp_after_max_ms=3_600_000))


def cluster(values: dict):
    def get(name: str):
        if name not in values:
            raise KeyError(name)
        return values[name]

    return get


def test_produce_policy_follows_kip_937():
    base = {"log_cleanup_policy": "delete", "log_message_timestamp_type": "CreateTime"}
    default = produce_policy({}, cluster(base))
    assert (default.timestamp_before_max_ms, default.timestamp_after_max_ms) == (
        LONG_MAX,
        3_600_000,
    )
    assert not default.compacted and not default.log_append_time
    diff = produce_policy({"message.timestamp.difference.max.ms": "10"}, cluster(base))
    assert (diff.timestamp_before_max_ms, diff.timestamp_after_max_ms) == (10, 10)
    both = produce_policy(
        {"message.timestamp.difference.max.ms": "10", "message.timestamp.after.max.ms": "20"},
        cluster(base),
    )
    assert (both.timestamp_before_max_ms, both.timestamp_after_max_ms) == (10, 20)
    defined = cluster(
        {**base, "log_message_timestamp_after_max_ms": 7, "log_message_timestamp_before_max_ms": 8}
    )
    assert produce_policy({}, defined).timestamp_after_max_ms == 7
    assert produce_policy({}, defined).timestamp_before_max_ms == 8
    assert produce_policy({"cleanup.policy": "compact,delete"}, cluster(base)).compacted
    assert produce_policy({}, cluster({**base, "log_cleanup_policy": "compact"})).compacted
    assert produce_policy(
        {"message.timestamp.type": "LogAppendTime"}, cluster(base)
    ).log_append_time
