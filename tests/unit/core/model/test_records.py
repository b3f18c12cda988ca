"""Round trips of core.model.records, and interop with kafka-python's v2 codec."""

from __future__ import annotations

import pytest

from core.model.batch import BatchError, CorruptBatch, parse_header, split_batches
from core.model.records import (
    COMPRESSION_GZIP,
    COMPRESSION_LZ4,
    COMPRESSION_NONE,
    COMPRESSION_SNAPPY,
    COMPRESSION_ZSTD,
    Record,
    build_batch,
    decode_batch,
    decompress,
    iter_batches,
)

CODECS = [COMPRESSION_NONE, COMPRESSION_GZIP, COMPRESSION_SNAPPY, COMPRESSION_LZ4, COMPRESSION_ZSTD]
T0_MS = 1_700_000_000_000


def sample_records() -> list[Record]:
    return [
        Record(b"k0", b"v0" * 100, [("h1", b"x"), ("h2", None)], T0_MS),
        Record(None, b"no key", [], T0_MS + 5),
        Record(b"tombstone", None, [], T0_MS - 3),
        Record(b"", b"", [("", b"")], T0_MS + 70_000),
        Record(b"big", bytes(range(256)) * 300, [], T0_MS + 1),
    ]


@pytest.mark.parametrize("codec", CODECS)
def test_round_trip_every_codec(codec: int) -> None:
    batch = build_batch(
        sample_records(),
        base_offset=1000,
        compression=codec,
        producer_id=7,
        producer_epoch=2,
        base_sequence=40,
        leader_epoch=3,
    )
    header, records = decode_batch(batch)
    assert header.compression == codec
    assert (header.base_offset, header.last_offset, header.record_count) == (1000, 1004, 5)
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == (7, 2, 40)
    assert header.leader_epoch == 3
    assert header.first_timestamp == T0_MS
    assert header.max_timestamp == T0_MS + 70_000
    assert header.size_bytes == len(batch)
    expected = sample_records()
    for index, (got, want) in enumerate(zip(records, expected)):
        assert got.offset == 1000 + index
        assert (got.key, got.value, got.headers, got.timestamp_ms) == (
            want.key,
            want.value,
            want.headers,
            want.timestamp_ms,
        )
    assert len(records) == len(expected)


def test_compression_shrinks_repetitive_payload() -> None:
    plain = build_batch(sample_records())
    for codec in CODECS[1:]:
        assert len(build_batch(sample_records(), compression=codec)) < len(plain) // 4


def test_flags_and_explicit_offsets() -> None:
    records = [Record(b"a", b"1", offset=10), Record(b"b", b"2", offset=13)]
    batch = build_batch(
        records, base_offset=10, transactional=True, control=True, timestamp_ms=T0_MS
    )
    header, decoded = decode_batch(batch)
    assert header.is_transactional and header.is_control
    assert header.last_offset_delta == 3
    assert [r.offset for r in decoded] == [10, 13]
    assert [r.timestamp_ms for r in decoded] == [T0_MS, T0_MS]


def test_iter_batches_and_split_agree() -> None:
    buf = bytearray()
    for codec in CODECS:
        buf += build_batch(sample_records(), base_offset=codec * 5, compression=codec)
    decoded = list(iter_batches(buf))
    assert [h.base_offset for h, _ in decoded] == [0, 5, 10, 15, 20]
    assert [h for _, h in split_batches(buf)] == [h for h, _ in decoded]


def test_corruption_is_detected() -> None:
    batch = build_batch(sample_records(), compression=COMPRESSION_LZ4)
    batch[-1] ^= 0xFF
    with pytest.raises(CorruptBatch):
        decode_batch(batch)
    with pytest.raises(BatchError):
        decode_batch(build_batch(sample_records())[:-1])
    with pytest.raises(BatchError):
        decompress(b"definitely not zstd", COMPRESSION_ZSTD)


def test_raw_snappy_accepted() -> None:
    import cramjam

    data = b"raw snappy as librdkafka writes it" * 50
    raw = bytes(cramjam.snappy.compress_raw(data))
    assert decompress(raw, COMPRESSION_SNAPPY) == data


# ---------------------------------------------------------------- kafka-python interop


def _kafka_python_codec_ready(codec: int) -> None:
    from kafka import codec as kcodec

    needs = {
        COMPRESSION_SNAPPY: kcodec.has_snappy,
        COMPRESSION_LZ4: kcodec.has_lz4,
        COMPRESSION_ZSTD: kcodec.has_zstd,
    }
    if codec in needs and not needs[codec]():
        pytest.skip(f"kafka-python lacks the library for codec {codec}")


@pytest.mark.parametrize("codec", CODECS)
def test_decode_batches_built_by_kafka_python(codec: int) -> None:
    from kafka.record.default_records import DefaultRecordBatchBuilder

    _kafka_python_codec_ready(codec)
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=codec,
        is_transactional=False,
        producer_id=5,
        producer_epoch=1,
        base_sequence=0,
        batch_size=1 << 20,
    )
    for index, record in enumerate(sample_records()):
        builder.append(index, record.timestamp_ms, record.key, record.value, record.headers)
    built = builder.build()
    header, records = decode_batch(bytes(built))
    assert header.compression == codec and header.record_count == 5
    for got, want in zip(records, sample_records()):
        assert (got.key, got.value, got.headers, got.timestamp_ms) == (
            want.key,
            want.value,
            want.headers,
            want.timestamp_ms,
        )


@pytest.mark.parametrize("codec", CODECS)
def test_kafka_python_reads_our_batches(codec: int) -> None:
    from kafka.record.default_records import DefaultRecordBatch

    _kafka_python_codec_ready(codec)
    ours = build_batch(sample_records(), base_offset=77, compression=codec)
    theirs = DefaultRecordBatch(bytes(ours))
    assert theirs.validate_crc()
    assert theirs.base_offset == 77 and theirs.compression_type == codec
    got = list(theirs)
    assert [r.offset for r in got] == [77, 78, 79, 80, 81]
    for record, want in zip(got, sample_records()):
        assert (record.key, record.value, record.timestamp) == (
            want.key,
            want.value,
            want.timestamp_ms,
        )
        assert list(record.headers) == want.headers
    assert parse_header(ours).crc == theirs.crc
