"""Reading a snapshot's batches (CRC checked) and locating the records of a batch:
what a pass reads of a segment, for the key map and for the rewrite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from core.model.batch import HEADER_SIZE, BatchError, BatchHeader, parse_header, verify_crc
from core.model.records import decompress
from core.storage.compaction.plan import CompactionPlan, SegmentSnapshot
from core.storage.fs import pread_exact


@dataclass(frozen=True, slots=True)
class RecordSpan:
    start: int  # in the decompressed records
    end: int
    offset_delta: int
    key: bytes | None
    tombstone: bool


def read_batches(
    snapshot: SegmentSnapshot, plan: CompactionPlan
) -> Iterator[tuple[BatchHeader, bytes]]:
    """Every batch of a closed segment, CRC checked: bad bytes must not be re-CRCed."""
    position = 0
    for _ in range(snapshot.size_bytes // HEADER_SIZE + 1):
        if position == snapshot.size_bytes:
            return
        plan.check_cancelled()
        header = parse_header(pread_exact(snapshot.fd, HEADER_SIZE, position))
        if position + header.size_bytes > snapshot.size_bytes:
            raise BatchError(f"{snapshot.path}: batch at {position} ends past the segment")
        data = pread_exact(snapshot.fd, header.size_bytes, position)
        verify_crc(data, 0, header)
        yield header, data
        position += header.size_bytes
    raise AssertionError(f"{snapshot.path}: batches do not end at the file size")


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    """The zig-zag varint at `pos` and the position after it."""
    raw = 0
    for index, byte in enumerate(buf[pos : pos + 10]):
        raw |= (byte & 0x7F) << (7 * index)
        if byte < 0x80:
            return (raw >> 1) ^ -(raw & 1), pos + index + 1
    raise BatchError("bad varint in a record")


def parse_records(header: BatchHeader, data: bytes) -> tuple[bytes, list[RecordSpan]]:
    """(decompressed records, where each record is and what compaction needs of it)."""
    body = decompress(data[HEADER_SIZE:], header.compression)
    found: list[RecordSpan] = []
    position = 0
    for _ in range(header.record_count):
        length, start = _varint(body, position)
        end = start + length
        if length < 1 or end > len(body):
            raise BatchError(f"bad record length {length} at offset {header.base_offset}")
        _, cursor = _varint(body, start + 1)  # after the attributes: timestampDelta
        offset_delta, cursor = _varint(body, cursor)
        key_length, cursor = _varint(body, cursor)
        key = body[cursor : cursor + key_length] if key_length >= 0 else None
        value_length, _ = _varint(body, cursor + max(key_length, 0))
        found.append(RecordSpan(position, end, offset_delta, key, value_length < 0))
        position = end
    if position != len(body):
        raise BatchError(f"{len(body) - position} bytes after the records of {header.base_offset}")
    return body, found
