"""One segment: a file `<base_offset>-<term>-v1.log` of concatenated v2 batches.

The file holds batches and nothing else, so a byte range of it can go to a socket
with sendfile. Offsets inside a segment are contiguous and every batch carries the
segment's term in its partitionLeaderEpoch field (both checked by recovery).

A segment keeps a read-only fd for its whole life (fetch hands it out) and a write
fd while it is active or still has bytes a flush has not made durable. Boundaries of
batches are found with the sparse index plus 12-byte or 61-byte header preads; whole
batches are never read to find them.
"""

from __future__ import annotations

import os
import pathlib
import re
import struct
from dataclasses import dataclass

from core.model.batch import HEADER_SIZE, LOG_OVERHEAD, BatchHeader, parse_header
from core.storage.fs import pread_exact, write_all
from core.storage.index import IndexSummary, SparseIndex
from core.storage.scan import ScanResult, scan_segment

_NAME = re.compile(r"^(\d+)-(\d+)-v1\.log$")
_PEEK = struct.Struct(">qi")


def segment_name(base_offset: int, term: int) -> str:
    return f"{base_offset}-{term}-v1.log"


def parse_segment_name(name: str) -> tuple[int, int] | None:
    """(base offset, term) of a segment file name, None for any other file."""
    match = _NAME.match(name)
    return (int(match.group(1)), int(match.group(2))) if match else None


@dataclass(frozen=True, slots=True)
class ByteRange:
    position: int
    length: int
    first_offset: int
    last_offset: int


class Segment:
    def __init__(
        self, directory: pathlib.Path, base_offset: int, term: int, index_interval_bytes: int
    ) -> None:
        assert base_offset >= 0 and term >= 0
        self.directory = directory
        self.base_offset = base_offset
        self.term = term
        self.path = directory / segment_name(base_offset, term)
        self.index = SparseIndex(base_offset, index_interval_bytes)
        self.read_fd = -1
        self.write_fd: int | None = None
        self.size_bytes = 0
        self.next_offset = base_offset
        self.max_timestamp_ms = -1
        self.roll_anchor_ms: int | None = None  # segment_ms counts from here
        self.pins = 0  # flush tickets holding write_fd
        self.unflushed = False  # bytes written since a flush ticket last took write_fd
        self.index_dirty = True  # index files on disk do not match memory
        self.deleted = False

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def create(
        cls, directory: pathlib.Path, base_offset: int, term: int, index_interval_bytes: int
    ) -> Segment:
        segment = cls(directory, base_offset, term, index_interval_bytes)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC
        segment.write_fd = os.open(segment.path, flags, 0o644)
        segment.read_fd = os.open(segment.path, os.O_RDONLY | os.O_CLOEXEC)
        return segment

    @classmethod
    def open_existing(
        cls, directory: pathlib.Path, base_offset: int, term: int, index_interval_bytes: int
    ) -> Segment:
        """Open the file read-only; its state comes from `load_index` or `recover`."""
        segment = cls(directory, base_offset, term, index_interval_bytes)
        segment.read_fd = os.open(segment.path, os.O_RDONLY | os.O_CLOEXEC)
        segment.size_bytes = os.fstat(segment.read_fd).st_size
        return segment

    def open_for_append(self) -> None:
        if self.write_fd is None:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC
            self.write_fd = os.open(self.path, flags)

    def close_write_fd(self) -> None:
        assert self.pins == 0, "a flush ticket still holds this fd"
        if self.write_fd is not None:
            os.close(self.write_fd)
            self.write_fd = None

    def close(self) -> None:
        self.close_write_fd()
        if self.read_fd >= 0:
            os.close(self.read_fd)
            self.read_fd = -1

    def index_paths(self) -> tuple[pathlib.Path, pathlib.Path]:
        stem = self.path.name.removesuffix(".log")
        return self.directory / f"{stem}.index", self.directory / f"{stem}.timeindex"

    def unlink_files(self) -> None:
        """Remove the index files, then the log (recovery drops orphaned indexes)."""
        for path in (*self.index_paths(), self.path):
            path.unlink(missing_ok=True)
        self.deleted = True

    # ------------------------------------------------------------ state

    @property
    def is_empty(self) -> bool:
        return self.size_bytes == 0

    def load_index(self) -> bool:
        """Take the state of a closed segment from valid index files; False if invalid."""
        summary = self.index.load(*self.index_paths(), log_bytes=self.size_bytes)
        if summary is None or summary.next_offset <= self.base_offset:
            self.index.clear()
            return False
        self.next_offset = summary.next_offset
        self.max_timestamp_ms = summary.max_timestamp_ms
        self.roll_anchor_ms = int(self.index.max_timestamps[0])
        self.index_dirty = False
        return True

    def recover(self) -> ScanResult:
        """Scan every batch, rebuild the index and cut the file after the last valid batch."""
        self.index.clear()
        self.max_timestamp_ms = -1

        def on_batch(header: BatchHeader, position: int) -> None:
            self.max_timestamp_ms = max(self.max_timestamp_ms, header.max_timestamp)
            self.index.on_batch(
                header.base_offset, position, header.size_bytes, self.max_timestamp_ms
            )

        result = scan_segment(self.read_fd, self.size_bytes, self.base_offset, self.term, on_batch)
        if result.valid_bytes < self.size_bytes:
            self.open_for_append()
            assert self.write_fd is not None
            os.ftruncate(self.write_fd, result.valid_bytes)
            os.fsync(self.write_fd)
        self.size_bytes = result.valid_bytes
        self.next_offset = result.next_offset
        self.roll_anchor_ms = result.first_max_timestamp_ms
        self.index_dirty = True
        return result

    def write_index(self, sync: bool = True) -> None:
        summary = IndexSummary(self.next_offset, self.max_timestamp_ms, self.size_bytes)
        self.index.write(*self.index_paths(), summary, sync)
        self.index_dirty = False

    # ------------------------------------------------------------ append

    def append(
        self,
        batch: bytearray,
        base_offset: int,
        last_offset: int,
        max_timestamp_ms: int,
        now_ms: int,
    ) -> None:
        assert self.write_fd is not None and not self.deleted
        position = self.size_bytes
        try:
            write_all(self.write_fd, batch)
        except OSError:
            # e.g. ENOSPC after a partial write: cut the torn bytes so the file still
            # ends on a batch boundary, and let the caller fail the request.
            os.ftruncate(self.write_fd, position)
            raise
        self.record(len(batch), base_offset, last_offset, max_timestamp_ms, now_ms)

    def record(
        self, size: int, base_offset: int, last_offset: int, max_timestamp_ms: int, now_ms: int
    ) -> None:
        """Account a batch of `size` bytes at the end (written, or queued to be written by
        core.storage.pending_writes before anything reads it)."""
        assert self.write_fd is not None and not self.deleted
        assert base_offset == self.next_offset, (base_offset, self.next_offset)
        position = self.size_bytes
        self.size_bytes += size
        self.next_offset = last_offset + 1
        self.max_timestamp_ms = max(self.max_timestamp_ms, max_timestamp_ms)
        if self.roll_anchor_ms is None:
            self.roll_anchor_ms = now_ms
        self.index.on_batch(base_offset, position, size, self.max_timestamp_ms)
        self.unflushed = True
        self.index_dirty = True

    # ------------------------------------------------------------ lookups

    def peek(self, position: int) -> tuple[int, int]:
        """(base offset, size in bytes) of the batch at `position`, from 12 bytes."""
        base_offset, batch_length = _PEEK.unpack(pread_exact(self.read_fd, LOG_OVERHEAD, position))
        size_bytes = batch_length + LOG_OVERHEAD
        assert size_bytes >= HEADER_SIZE and position + size_bytes <= self.size_bytes
        return base_offset, size_bytes

    def peek_header(self, position: int) -> BatchHeader:
        return parse_header(pread_exact(self.read_fd, HEADER_SIZE, position))

    def _scan_steps_max(self) -> int:
        return self.size_bytes // HEADER_SIZE + 1

    def locate(self, offset: int, end: tuple[int, int] | None = None) -> tuple[int, int, int]:
        """(position, base offset, size) of the batch holding `offset`, or of the first
        batch when `offset` is below the segment base. `end`: (byte position, offset) where
        the written file ends, when it ends before `size_bytes` (pending writes)."""
        end_bytes, end_offset = end if end is not None else (self.size_bytes, self.next_offset)
        assert not self.is_empty and offset < end_offset
        position = self.index.floor(offset)
        base_offset, size_bytes = self.peek(position)
        for _ in range(self._scan_steps_max()):
            after = position + size_bytes
            if after >= end_bytes:
                break
            next_base, next_size = self.peek(after)
            if next_base > offset:
                break
            position, base_offset, size_bytes = after, next_base, next_size
        assert base_offset <= max(offset, self.base_offset)
        return position, base_offset, size_bytes

    def read_range(
        self, offset: int, max_bytes: int, upper_offset: int, end: tuple[int, int] | None = None
    ) -> ByteRange | None:
        """Whole batches from the one holding `offset`: the first always (KIP-74), then
        more while the total stays <= max_bytes and each base offset < upper_offset (and
        before `end`, as in `locate`)."""
        position, first_offset, first_bytes = self.locate(offset, end)
        if first_offset >= upper_offset:
            return None
        end_bytes, stop_offset = end if end is not None else (self.size_bytes, self.next_offset)
        after_first = position + first_bytes
        limit = max(after_first, position + max_bytes)
        cursor = max(after_first, self.index.scan_hint(limit, upper_offset))
        for _ in range(self._scan_steps_max()):
            if cursor >= end_bytes:
                break
            base_offset, size_bytes = self.peek(cursor)
            if base_offset >= upper_offset or cursor + size_bytes > limit:
                stop_offset = base_offset
                break
            cursor += size_bytes
        assert position < cursor <= limit
        return ByteRange(position, cursor - position, first_offset, stop_offset - 1)

    def find_time(self, timestamp_ms: int, upper_offset: int) -> tuple[int | None, bool]:
        """(base offset of the first batch with max timestamp >= `timestamp_ms`, whether
        the scan reached `upper_offset`). Batch granularity."""
        if self.max_timestamp_ms < timestamp_ms:
            return None, False
        cursor = self.index.time_floor(timestamp_ms)
        for _ in range(self._scan_steps_max()):
            if cursor >= self.size_bytes:
                break
            header = self.peek_header(cursor)
            if header.base_offset >= upper_offset:
                return None, True
            if header.max_timestamp >= timestamp_ms:
                return header.base_offset, False
            cursor += header.size_bytes
        return None, False

    # ------------------------------------------------------------ truncation

    def truncate(self, offset: int) -> None:
        """Cut the batch starting at `offset` and everything after it; fsync."""
        assert self.base_offset < offset < self.next_offset
        position, base_offset, _ = self.locate(offset)
        assert base_offset == offset, f"truncate at {offset}: not a batch boundary"
        self.open_for_append()
        assert self.write_fd is not None
        os.ftruncate(self.write_fd, position)
        os.fsync(self.write_fd)
        self.index.truncate(position)
        self.size_bytes = position
        self.next_offset = offset
        self.max_timestamp_ms = self._max_timestamp_up_to(position)
        self.index_dirty = True
        self.unflushed = False

    def _max_timestamp_up_to(self, position: int) -> int:
        """Running max after the batches before `position`: last entry, then a short scan."""
        if not len(self.index):
            return -1
        running_ms = int(self.index.max_timestamps[-1])
        cursor = self.index.positions[-1]
        for _ in range(self._scan_steps_max()):
            if cursor >= position:
                break
            header = self.peek_header(cursor)
            running_ms = max(running_ms, header.max_timestamp)
            cursor += header.size_bytes
        assert cursor == position
        return running_ms
