"""Writing a rewritten segment's temporary file: re-encoded batches (new batchLength
and CRC) and the empty gap batches that stand for runs of dropped ones."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import struct

from core.model.batch import ATTR_TIMESTAMP_TYPE, HEADER_SIZE, LOG_OVERHEAD, BatchHeader, batch_crc
from core.storage.fs import write_all

WRITE_BUFFER_BYTES = 1 << 20
_HEADER = struct.Struct(">qiibIhiqqqhii")
_CRC = struct.Struct(">I")
_CRC_AT = 17
_DELTA_MAX = 0x7FFFFFFF


def encode_batch(header: BatchHeader, payload: bytes) -> bytes:
    """`header` with `payload` after it: batchLength and CRC recomputed."""
    batch = bytearray(HEADER_SIZE + len(payload))
    sized = dataclasses.replace(header, batch_length=HEADER_SIZE - LOG_OVERHEAD + len(payload))
    _HEADER.pack_into(batch, 0, *dataclasses.astuple(sized))
    batch[HEADER_SIZE:] = payload
    _CRC.pack_into(batch, _CRC_AT, batch_crc(batch, 0, len(batch)))
    return bytes(batch)


def _gap_batch(first: int, last: int, term: int, max_timestamp_ms: int, attributes: int) -> bytes:
    header = BatchHeader(
        first,
        0,
        term,
        2,
        0,
        attributes,
        last - first,
        max_timestamp_ms,
        max_timestamp_ms,
        -1,
        -1,
        -1,
        0,
    )
    return encode_batch(header, b"")


class SegmentWriter:
    """Buffered writes of a rewritten segment to a new temporary file; runs of dropped
    batches become gap batches; fsynced on a clean exit, removed on an error."""

    def __init__(self, path: pathlib.Path, term: int) -> None:
        self.path = path
        self.term = term
        self.buffer = bytearray()
        self.gap: list[int] | None = None  # [first, last, max timestamp, attributes]
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)

    def __enter__(self) -> SegmentWriter:
        return self

    def keep(self, batch: bytes) -> None:
        self._end_gap()
        self.buffer += batch
        if len(self.buffer) >= WRITE_BUFFER_BYTES:
            write_all(self.fd, self.buffer)
            self.buffer.clear()

    def drop(self, header: BatchHeader) -> None:
        if self.gap is None:
            self.gap = [
                header.base_offset,
                header.base_offset - 1,
                header.max_timestamp,
                header.attributes & ATTR_TIMESTAMP_TYPE,
            ]
        assert self.gap[1] + 1 == header.base_offset, (self.gap, header.base_offset)
        self.gap[1] = header.last_offset
        self.gap[2] = max(self.gap[2], header.max_timestamp)

    def _end_gap(self) -> None:
        if self.gap is None:
            return
        first, last, max_timestamp_ms, attributes = self.gap
        self.gap = None
        for _ in range((last - first) // _DELTA_MAX + 1):  # lastOffsetDelta is an int32
            if first > last:
                break
            chunk_last = min(last, first + _DELTA_MAX)
            self.buffer += _gap_batch(first, chunk_last, self.term, max_timestamp_ms, attributes)
            first = chunk_last + 1

    def __exit__(self, error_type: type | None, *_: object) -> None:
        try:
            if error_type is None:
                self._end_gap()
                write_all(self.fd, self.buffer)
                os.fsync(self.fd)
        finally:
            os.close(self.fd)
            if error_type is not None:
                self.path.unlink(missing_ok=True)
