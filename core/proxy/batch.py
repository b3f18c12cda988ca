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


# attributes 0, timestampDelta 0 and the offsetDelta of each record position
_HEADS = [b"\x00\x00" + _VARINTS[delta] for delta in range(_TABLE_SIZE)]


def record_batch(
    pairs: Sequence[tuple[bytes | None, bytes | None]], timestamp_ms: int | None = None
) -> bytearray:
    """One v2 batch of the (key, value) pairs, offsets 0..n-1, all at one timestamp."""
    assert pairs, "a batch holds at least one record"
    stamp = time.time_ns() // 1_000_000 if timestamp_ms is None else timestamp_ms
    parts: list[bytes] = []
    append = parts.append
    varints, heads = _VARINTS, _HEADS
    for delta, (key, value) in enumerate(pairs):
        head = heads[delta] if delta < _TABLE_SIZE else b"\x00\x00" + zigzag_varint(delta)
        if key is None:
            key_part = _NULL
        else:
            n = len(key)
            key_part = (varints[n] if n < _TABLE_SIZE else zigzag_varint(n)) + key
        if value is None:
            value_len = _NULL
            value = b""
        else:
            n = len(value)
            value_len = varints[n] if n < _TABLE_SIZE else zigzag_varint(n)
        # the record's length, then the record (no headers: a count of 0 at the end)
        size = len(head) + len(key_part) + len(value_len) + len(value) + 1
        append(varints[size] if size < _TABLE_SIZE else zigzag_varint(size))
        append(head)
        append(key_part)
        append(value_len)
        append(value)
        append(_ZERO)
    payload = b"".join(parts)
    batch = bytearray(HEADER_SIZE)
    count = len(pairs)
    _HEADER.pack_into(
        batch, 0, 0, HEADER_SIZE - LOG_OVERHEAD + len(payload), -1, 2, 0, 0,
        count - 1, stamp, stamp, -1, -1, -1, count,
    )  # fmt: skip
    batch += payload
    _CRC.pack_into(batch, 17, crc32c.crc32c(memoryview(batch)[CRC_START:]))
    return batch
