"""The proxy's record batches: one uncompressed v2 batch of (key, value) records, no headers,
producer id -1, CRC32C, built with table-driven varints (the produce hot path; the general
builder, core.model.records.build_batch, is kept for everything else)."""

from __future__ import annotations

import struct
import time
from collections.abc import Sequence

import crc32c

from core.model.batch import CRC_START, HEADER_SIZE, LOG_OVERHEAD

_HEADER = struct.Struct(">qiibIhiqqqhii")
_CRC = struct.Struct(">I")
_TABLE_SIZE = 1 << 15  # lengths and offset deltas below this come from the table


def zigzag_varint(value: int) -> bytes:
    zigzag = (value << 1) ^ (value >> 63)
    out = bytearray()
    while zigzag >= 0x80:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag)
    return bytes(out)


_VARINTS = [zigzag_varint(i) for i in range(_TABLE_SIZE)]
_NULL = zigzag_varint(-1)
_ZERO = _VARINTS[0]


def _varint(value: int) -> bytes:
    return _VARINTS[value] if 0 <= value < _TABLE_SIZE else zigzag_varint(value)


# attributes 0, timestampDelta 0 and the offsetDelta of each record position; then a null key
_HEADS = [b"\x00\x00" + _VARINTS[delta] for delta in range(_TABLE_SIZE)]
_NULL_KEY_HEADS = [head + _NULL for head in _HEADS]


def record_batch(
    pairs: Sequence[tuple[bytes | None, bytes | None]], timestamp_ms: int | None = None
) -> bytearray:
    """One v2 batch of the (key, value) pairs, offsets 0..n-1, all at one timestamp."""
    assert pairs, "a batch holds at least one record"
    stamp = time.time_ns() // 1_000_000 if timestamp_ms is None else timestamp_ms
    parts: list[bytes] = [bytes(HEADER_SIZE)]  # packed below
    extend = parts.extend
    varints = _VARINTS
    for delta, (key, value) in enumerate(pairs):
        if delta >= _TABLE_SIZE:
            head = b"\x00\x00" + zigzag_varint(delta) + (_NULL if key is None else b"")
        else:
            head = _NULL_KEY_HEADS[delta] if key is None else _HEADS[delta]
        if key is not None:
            n = len(key)
            head += (varints[n] if n < _TABLE_SIZE else zigzag_varint(n)) + key
        # the record's length, then the record (no headers: a count of 0 at the end)
        if value is None:
            size = len(head) + 2
            extend((_varint(size), head, _NULL, _ZERO))
            continue
        n = len(value)
        value_len = varints[n] if n < _TABLE_SIZE else zigzag_varint(n)
        size = len(head) + len(value_len) + n + 1
        size_len = varints[size] if size < _TABLE_SIZE else zigzag_varint(size)
        extend((size_len, head, value_len, value, _ZERO))
    batch = bytearray().join(parts)
    count = len(pairs)
    _HEADER.pack_into(
        batch, 0, 0, len(batch) - LOG_OVERHEAD, -1, 2, 0, 0,
        count - 1, stamp, stamp, -1, -1, -1, count,
    )  # fmt: skip
    _CRC.pack_into(batch, 17, crc32c.crc32c(memoryview(batch)[CRC_START:]))
    return batch
