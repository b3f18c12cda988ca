"""Kafka v2 record batch header: parse, check and patch without decoding records.

The broker treats a batch as opaque bytes. Only the 61-byte header is read:

    baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 |
    crc uint32 | attributes int16 | lastOffsetDelta int32 | firstTimestamp int64 |
    maxTimestamp int64 | producerId int64 | producerEpoch int16 | baseSequence int32 |
    recordCount int32

The CRC32C covers everything from `attributes` to the end of the batch, so the
broker may patch `baseOffset` and `partitionLeaderEpoch` (where Ailurus stores the
Raft term of the batch) without recomputing it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import crc32c

HEADER_SIZE = 61
LOG_OVERHEAD = 12  # baseOffset + batchLength: bytes not counted by batchLength
CRC_START = 21  # attributes begin here; the CRC covers [21, end)
MAGIC_OFFSET = 16

_HEADER = struct.Struct(">qiibIhiqqqhii")
_OFFSET = struct.Struct(">q")
_EPOCH = struct.Struct(">i")
_LENGTH_AT = struct.Struct(">qi")

ATTR_COMPRESSION_MASK = 0x07
ATTR_TIMESTAMP_TYPE = 0x08
ATTR_TRANSACTIONAL = 0x10
ATTR_CONTROL = 0x20

COMPRESSION_NAMES = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


class BatchError(ValueError):
    """A batch that is malformed: wrong magic, bad length, or CRC mismatch."""


class CorruptBatch(BatchError):
    """The CRC32C of the batch does not match its contents."""


@dataclass(frozen=True, slots=True)
class BatchHeader:
    base_offset: int
    batch_length: int
    leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    first_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    record_count: int

    @property
    def size_bytes(self) -> int:
        """Total bytes of the batch on the wire and on disk."""
        return self.batch_length + LOG_OVERHEAD

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def compression(self) -> int:
        return self.attributes & ATTR_COMPRESSION_MASK

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & ATTR_CONTROL)

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & ATTR_TRANSACTIONAL)

    @property
    def uses_log_append_time(self) -> bool:
        return bool(self.attributes & ATTR_TIMESTAMP_TYPE)

    @property
    def last_sequence(self) -> int:
        if self.base_sequence < 0:
            return -1
        return (self.base_sequence + self.last_offset_delta) & 0x7FFFFFFF


def parse_header(buf: bytes | bytearray | memoryview, pos: int = 0) -> BatchHeader:
    """Parse the header at `pos`. Raises BatchError if it is not a v2 header."""
    if len(buf) - pos < HEADER_SIZE:
        raise BatchError(f"batch header truncated: {len(buf) - pos} < {HEADER_SIZE} bytes")
    fields = _HEADER.unpack_from(buf, pos)
    header = BatchHeader(*fields)
    if header.magic != 2:
        raise BatchError(f"unsupported record batch magic {header.magic}")
    if header.batch_length < HEADER_SIZE - LOG_OVERHEAD:
        raise BatchError(f"batch length {header.batch_length} shorter than its header")
    if header.last_offset_delta < 0 or header.record_count < 0:
        raise BatchError("negative lastOffsetDelta or recordCount")
    return header


def batch_crc(buf: bytes | bytearray | memoryview, pos: int, size_bytes: int) -> int:
    return crc32c.crc32c(memoryview(buf)[pos + CRC_START : pos + size_bytes])


def verify_crc(buf: bytes | bytearray | memoryview, pos: int, header: BatchHeader) -> None:
    if pos + header.size_bytes > len(buf):
        raise BatchError("batch extends past the end of its buffer")
    if batch_crc(buf, pos, header.size_bytes) != header.crc:
        raise CorruptBatch(f"CRC32C mismatch in batch at base offset {header.base_offset}")


def patch_base_offset(buf: bytearray | memoryview, pos: int, base_offset: int) -> None:
    _OFFSET.pack_into(buf, pos, base_offset)


def patch_leader_epoch(buf: bytearray | memoryview, pos: int, epoch: int) -> None:
    _EPOCH.pack_into(buf, pos + LOG_OVERHEAD, epoch)


def peek_length(buf: bytes | bytearray | memoryview, pos: int) -> tuple[int, int]:
    """(baseOffset, total size in bytes) of the batch at `pos`, from its first 12 bytes."""
    base_offset, length = _LENGTH_AT.unpack_from(buf, pos)
    return base_offset, length + LOG_OVERHEAD


def split_batches(
    buf: bytes | bytearray | memoryview, *, check_crc: bool = True
) -> list[tuple[int, BatchHeader]]:
    """Split a concatenation of whole v2 batches into (position, header) pairs.

    Raises BatchError on any malformed or partial batch: a produce request must
    carry whole batches only.
    """
    out: list[tuple[int, BatchHeader]] = []
    pos = 0
    end = len(buf)
    while pos < end:
        header = parse_header(buf, pos)
        if check_crc:
            verify_crc(buf, pos, header)
        elif pos + header.size_bytes > end:
            raise BatchError("batch extends past the end of its buffer")
        out.append((pos, header))
        pos += header.size_bytes
    return out
