"""Hand-written Fetch response encoding (v4-v11) so record bytes can go out by sendfile.

A response is a list of parts: `bytes` that Python builds, and `FileRegion`s that
name a byte range of a segment file. The connection writes the bytes and asks the
kernel to copy the regions (os.sendfile) without passing them through Python.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_PART_V4 = struct.Struct(">ihqq")  # partition, error, high watermark, last stable offset
_I64 = struct.Struct(">q")

MIN_VERSION = 4
MAX_VERSION = 11


@dataclass(frozen=True, slots=True)
class FileRegion:
    fd: int
    position: int
    length: int


@dataclass(slots=True)
class PartitionResult:
    partition: int
    error_code: int
    high_watermark: int
    last_stable_offset: int
    log_start_offset: int
    records: bytes | FileRegion | None
    aborted: list[tuple[int, int]] | None = None
    preferred_read_replica: int = -1  # v11+ (KIP-392): the replica to fetch from; -1: here

    @property
    def records_size(self) -> int:
        if self.records is None:
            return 0
        if isinstance(self.records, FileRegion):
            return self.records.length
        return len(self.records)


def _string(value: str) -> bytes:
    raw = value.encode()
    return _I16.pack(len(raw)) + raw


def encode_fetch_response(
    version: int,
    correlation_id: int,
    topics: list[tuple[str, list[PartitionResult]]],
    *,
    throttle_time_ms: int = 0,
    error_code: int = 0,
    session_id: int = 0,
) -> tuple[list[bytes | FileRegion], int]:
    """Return (parts, total frame size including the 4-byte length prefix)."""
    assert MIN_VERSION <= version <= MAX_VERSION, version
    head = bytearray()
    head += _I32.pack(correlation_id)
    head += _I32.pack(throttle_time_ms)
    if version >= 7:
        head += _I16.pack(error_code)
        head += _I32.pack(session_id)
    head += _I32.pack(len(topics))
    parts: list[bytes | FileRegion] = []
    cur = head
    for name, partitions in topics:
        cur += _string(name)
        cur += _I32.pack(len(partitions))
        for p in partitions:
            cur += _PART_V4.pack(p.partition, p.error_code, p.high_watermark, p.last_stable_offset)
            if version >= 5:
                cur += _I64.pack(p.log_start_offset)
            if p.aborted is None:
                cur += _I32.pack(-1)
            else:
                cur += _I32.pack(len(p.aborted))
                for producer_id, first_offset in p.aborted:
                    cur += _I64.pack(producer_id) + _I64.pack(first_offset)
            if version >= 11:
                cur += _I32.pack(p.preferred_read_replica)
            if p.records is None:
                # Kafka sends empty records (not null) with a partition error: librdkafka
                # refuses a whole response holding "MessageSetSize -1".
                cur += _I32.pack(0)
            elif isinstance(p.records, FileRegion):
                cur += _I32.pack(p.records.length)
                parts.append(bytes(cur))
                parts.append(p.records)
                cur = bytearray()
            else:
                cur += _I32.pack(len(p.records))
                cur += p.records
    if cur:
        parts.append(bytes(cur))
    body_size = sum(x.length if isinstance(x, FileRegion) else len(x) for x in parts)
    first = parts[0]
    assert isinstance(first, bytes)  # the header: a file region never comes first
    parts[0] = _I32.pack(body_size) + first
    return parts, body_size + 4
