"""Build and decode Kafka v2 record batches, records included.

Not on the broker's hot path (produce and fetch move batches as opaque bytes, see
core.model.batch). Used by tests, the group coordinator writing `__consumer_offsets`,
timequery refinement and the HTTP proxy.

Record layout inside a batch (after the 61-byte header, possibly compressed as one
block): length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
keyLength varint | key | valueLength varint | value | headerCount varint |
(headerKeyLength varint | headerKey | headerValueLength varint | headerValue)*.
All varints are zig-zag encoded; a length of -1 means null.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import crc32c

from core.model.batch import (
    ATTR_COMPRESSION_MASK,
    ATTR_CONTROL,
    ATTR_TRANSACTIONAL,
    CRC_START,
    HEADER_SIZE,
    LOG_OVERHEAD,
    BatchError,
    BatchHeader,
    parse_header,
    verify_crc,
)
from core.model.lazy import LazyModule

cramjam = LazyModule("cramjam")  # loaded at the first compressed batch

COMPRESSION_NONE = 0
COMPRESSION_GZIP = 1
COMPRESSION_SNAPPY = 2
COMPRESSION_LZ4 = 3
COMPRESSION_ZSTD = 4

_HEADER_FIELDS = struct.Struct(">qiibIhiqqqhii")
_CRC = struct.Struct(">I")
_INT32 = struct.Struct(">i")
_XERIAL_MAGIC = b"\x82SNAPPY\x00"
_XERIAL_HEADER = _XERIAL_MAGIC + struct.pack(">ii", 1, 1)
_XERIAL_BLOCK_BYTES = 32 * 1024
_RECORDS_COUNT_AT = HEADER_SIZE - 4  # recordCount is the last header field
_VARINT_BYTES_MAX = 10


@dataclass
class Record:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)
    timestamp_ms: int | None = None
    offset: int | None = None


# ---------------------------------------------------------------- varints


def _write_varint(out: bytearray, value: int) -> None:
    """Append the zig-zag varint (64-bit) encoding of `value`."""
    assert -(1 << 63) <= value < (1 << 63), value
    zigzag = (value << 1) ^ (value >> 63)
    while zigzag >= 0x80:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag)


def _read_varint(buf: bytes | bytearray | memoryview, pos: int) -> tuple[int, int]:
    """Decode a zig-zag varint at `pos`; returns (value, next position)."""
    raw = 0
    for index in range(_VARINT_BYTES_MAX):
        if pos + index >= len(buf):
            raise BatchError("varint runs past the end of the records")
        byte = buf[pos + index]
        raw |= (byte & 0x7F) << (7 * index)
        if byte < 0x80:
            return (raw >> 1) ^ -(raw & 1), pos + index + 1
    raise BatchError("varint longer than 10 bytes")


def _write_bytes(out: bytearray, data: bytes | None) -> None:
    if data is None:
        _write_varint(out, -1)
        return
    _write_varint(out, len(data))
    out += data


def _read_bytes(buf: bytes | bytearray | memoryview, pos: int) -> tuple[bytes | None, int]:
    length, pos = _read_varint(buf, pos)
    if length < 0:
        return None, pos
    if pos + length > len(buf):
        raise BatchError("field runs past the end of the records")
    return bytes(buf[pos : pos + length]), pos + length


# ---------------------------------------------------------------- compression


def _snappy_xerial_encode(data: bytes) -> bytes:
    """xerial framing, as the Java client writes: header, then (len, raw block)*."""
    out = bytearray(_XERIAL_HEADER)
    for start in range(0, len(data), _XERIAL_BLOCK_BYTES):
        block = bytes(cramjam.snappy.compress_raw(data[start : start + _XERIAL_BLOCK_BYTES]))
        out += _INT32.pack(len(block))
        out += block
    return bytes(out)


def _snappy_decode(data: bytes) -> bytes:
    """Accept xerial-framed snappy (Java client) and raw snappy (librdkafka)."""
    if not data.startswith(_XERIAL_MAGIC):
        return bytes(cramjam.snappy.decompress_raw(data))
    out = bytearray()
    pos = len(_XERIAL_HEADER)
    while pos < len(data):  # bounded: pos strictly grows by at least 4 per block
        if pos + 4 > len(data):
            raise BatchError("truncated xerial snappy block length")
        (block_bytes,) = _INT32.unpack_from(data, pos)
        if block_bytes < 0 or pos + 4 + block_bytes > len(data):
            raise BatchError("bad xerial snappy block length")
        out += cramjam.snappy.decompress_raw(data[pos + 4 : pos + 4 + block_bytes])
        pos += 4 + block_bytes
    return bytes(out)


def _lz4_encode(data: bytes) -> bytes:
    # Kafka's LZ4 reader wants the frame format with independent blocks.
    compressor = cramjam.lz4.Compressor(content_checksum=False, block_linked=False)
    compressor.compress(data)
    return bytes(compressor.finish())


def compress(data: bytes, compression: int) -> bytes:
    if compression == COMPRESSION_NONE:
        return data
    if compression == COMPRESSION_GZIP:
        return bytes(cramjam.gzip.compress(data))
    if compression == COMPRESSION_SNAPPY:
        return _snappy_xerial_encode(data)
    if compression == COMPRESSION_LZ4:
        return _lz4_encode(data)
    if compression == COMPRESSION_ZSTD:
        return bytes(cramjam.zstd.compress(data))
    raise BatchError(f"unknown compression codec {compression}")


def decompress(data: bytes, compression: int) -> bytes:
    try:
        if compression == COMPRESSION_NONE:
            return data
        if compression == COMPRESSION_GZIP:
            return bytes(cramjam.gzip.decompress(data))
        if compression == COMPRESSION_SNAPPY:
            return _snappy_decode(data)
        if compression == COMPRESSION_LZ4:
            return bytes(cramjam.lz4.decompress(data))
        if compression == COMPRESSION_ZSTD:
            return bytes(cramjam.zstd.decompress(data))
    except cramjam.DecompressionError as error:
        raise BatchError(f"cannot decompress batch records: {error}") from error
    raise BatchError(f"unknown compression codec {compression}")


# ---------------------------------------------------------------- build


def _encode_record(record: Record, offset_delta: int, timestamp_delta: int) -> bytearray:
    body = bytearray([0])  # record attributes: unused, always 0
    _write_varint(body, timestamp_delta)
    _write_varint(body, offset_delta)
    _write_bytes(body, record.key)
    _write_bytes(body, record.value)
    _write_varint(body, len(record.headers))
    for header_key, header_value in record.headers:
        _write_bytes(body, header_key.encode("utf-8"))
        _write_bytes(body, header_value)
    out = bytearray()
    _write_varint(out, len(body))
    out += body
    return out


def _offset_deltas(records: list[Record], base_offset: int) -> list[int]:
    """Offset deltas: the records' own offsets when all are set, else 0, 1, 2..."""
    if all(record.offset is not None for record in records):
        deltas = [record.offset - base_offset for record in records]  # type: ignore[operator]
    else:
        deltas = list(range(len(records)))
    assert deltas[0] >= 0, "first record offset below base_offset"
    assert all(a < b for a, b in zip(deltas, deltas[1:])), "record offsets must increase"
    return deltas


def build_batch(
    records: Iterable[Record],
    *,
    base_offset: int = 0,
    compression: int = COMPRESSION_NONE,
    producer_id: int = -1,
    producer_epoch: int = -1,
    base_sequence: int = -1,
    transactional: bool = False,
    control: bool = False,
    timestamp_ms: int | None = None,
    leader_epoch: int = -1,
) -> bytearray:
    """Encode `records` as one v2 batch (header, records, CRC32C).

    A record without a timestamp takes `timestamp_ms`, or the wall clock when that is
    None too. The first record's timestamp is the batch's baseTimestamp.
    """
    items = list(records)
    assert items, "a batch holds at least one record"
    default_ms = timestamp_ms if timestamp_ms is not None else time.time_ns() // 1_000_000
    stamps = [r.timestamp_ms if r.timestamp_ms is not None else default_ms for r in items]
    deltas = _offset_deltas(items, base_offset)
    body = bytearray()
    for record, delta, stamp in zip(items, deltas, stamps):
        body += _encode_record(record, delta, stamp - stamps[0])
    payload = compress(bytes(body), compression)
    attributes = compression & ATTR_COMPRESSION_MASK
    attributes |= ATTR_TRANSACTIONAL if transactional else 0
    attributes |= ATTR_CONTROL if control else 0
    batch_length = HEADER_SIZE - LOG_OVERHEAD + len(payload)
    batch = bytearray(HEADER_SIZE + len(payload))
    _HEADER_FIELDS.pack_into(
        batch,
        0,
        base_offset,
        batch_length,
        leader_epoch,
        2,
        0,
        attributes,
        deltas[-1],
        stamps[0],
        max(stamps),
        producer_id,
        producer_epoch,
        base_sequence,
        len(items),
    )
    batch[HEADER_SIZE:] = payload
    _CRC.pack_into(batch, 17, crc32c.crc32c(memoryview(batch)[CRC_START:]))
    return batch


# ---------------------------------------------------------------- decode


def _decode_record(buf: bytes, pos: int, header: BatchHeader) -> tuple[Record, int]:
    length, pos = _read_varint(buf, pos)
    end = pos + length
    if length < 1 or end > len(buf):
        raise BatchError(f"bad record length {length}")
    pos += 1  # record attributes: unused
    timestamp_delta, pos = _read_varint(buf, pos)
    offset_delta, pos = _read_varint(buf, pos)
    key, pos = _read_bytes(buf, pos)
    value, pos = _read_bytes(buf, pos)
    header_count, pos = _read_varint(buf, pos)
    if header_count < 0 or header_count > length:
        raise BatchError(f"bad record header count {header_count}")
    headers: list[tuple[str, bytes | None]] = []
    for _ in range(header_count):
        header_key, pos = _read_bytes(buf, pos)
        header_value, pos = _read_bytes(buf, pos)
        if header_key is None:
            raise BatchError("record header with a null key")
        headers.append((header_key.decode("utf-8"), header_value))
    if pos != end:
        raise BatchError(f"record length {length} does not match its fields")
    if header.uses_log_append_time:
        timestamp_ms = header.max_timestamp
    else:
        timestamp_ms = header.first_timestamp + timestamp_delta
    record = Record(key, value, headers, timestamp_ms, header.base_offset + offset_delta)
    return record, end


def decode_batch(
    buf: bytes | bytearray | memoryview, pos: int = 0
) -> tuple[BatchHeader, list[Record]]:
    """Decode the batch at `pos`: verify its CRC, decompress, decode every record."""
    header = parse_header(buf, pos)
    verify_crc(buf, pos, header)
    payload = bytes(memoryview(buf)[pos + HEADER_SIZE : pos + header.size_bytes])
    body = decompress(payload, header.compression)
    records: list[Record] = []
    cursor = 0
    for _ in range(header.record_count):
        record, cursor = _decode_record(body, cursor, header)
        records.append(record)
    if cursor != len(body):
        raise BatchError(f"{len(body) - cursor} bytes left after {header.record_count} records")
    return header, records


def iter_batches(
    buf: bytes | bytearray | memoryview,
) -> Iterator[tuple[BatchHeader, list[Record]]]:
    """Decode every batch of a concatenation of whole v2 batches."""
    pos = 0
    while pos < len(buf):  # bounded: each batch is at least HEADER_SIZE bytes
        header, records = decode_batch(buf, pos)
        yield header, records
        pos += header.size_bytes
    assert pos == len(buf)
