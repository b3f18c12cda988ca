"""Sparse offset and time index of one segment.

One entry about every `index_interval_bytes` of log, always one for the first batch.
Each entry names a batch start: its offset relative to the segment base (u32), its
file position (u32), and the running maximum timestamp of the segment up to and
including that batch (i64). The offset and time entries are taken at the same
batches, so a time lookup can reuse the offset entry's file position, and every scan
between two entries covers about `index_interval_bytes`.

On disk (both rebuildable from the log):
- `.index`: header, then (relative offset u32, position u32) per entry;
- `.timeindex`: header, then (max timestamp i64, relative offset u32) per entry.
The header is (magic, entry count, base offset, next offset, max timestamp, log
bytes, CRC32C of header-before-CRC + entries). A file whose CRC, base offset or log
size does not match is invalid and the index is rebuilt by scanning the segment.
"""

from __future__ import annotations

import os
import pathlib
import struct
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import crc32c

from core.storage.fs import write_all

_HEADER = struct.Struct(">4sIqqqq")
_CRC = struct.Struct(">I")
_OFFSET_ENTRY = struct.Struct(">II")
_TIME_ENTRY = struct.Struct(">qI")
OFFSET_MAGIC = b"AIO1"
TIME_MAGIC = b"AIT1"
U32_MAX = 0xFFFFFFFF

assert array("I").itemsize == 4, "array('I') must be 32-bit for the index"


@dataclass(frozen=True, slots=True)
class IndexSummary:
    """What a valid pair of index files says about its (closed) segment."""

    next_offset: int
    max_timestamp_ms: int
    log_bytes: int


class SparseIndex:
    def __init__(self, base_offset: int, interval_bytes: int) -> None:
        assert base_offset >= 0 and interval_bytes > 0
        self.base_offset = base_offset
        self.interval_bytes = interval_bytes
        self.relative_offsets = array("I")
        self.positions = array("I")
        self.max_timestamps = array("q")
        self._bytes_since_entry = 0

    def __len__(self) -> int:
        return len(self.positions)

    def on_batch(self, offset: int, position: int, size_bytes: int, running_max_ms: int) -> None:
        """Account for an appended batch; record an entry when the interval is reached."""
        if not self.positions or self._bytes_since_entry >= self.interval_bytes:
            relative = offset - self.base_offset
            assert 0 <= relative <= U32_MAX, relative
            assert position <= U32_MAX, position
            assert not self.positions or position > self.positions[-1]
            self.relative_offsets.append(relative)
            self.positions.append(position)
            self.max_timestamps.append(running_max_ms)
            self._bytes_since_entry = 0
        self._bytes_since_entry += size_bytes

    def floor(self, offset: int) -> int:
        """Position of the last entry at or below `offset` (0 when none)."""
        slot = bisect_right(self.relative_offsets, offset - self.base_offset) - 1
        return self.positions[slot] if slot >= 0 else 0

    def scan_hint(self, limit_position: int, upper_offset: int) -> int:
        """Position of the last entry at or below `limit_position` and below `upper_offset`.

        The batch that ends there lies wholly below both bounds, so a scan for the end
        of a read may start there instead of at the first batch. 0 when none.
        """
        by_position = bisect_right(self.positions, limit_position)
        by_offset = bisect_left(self.relative_offsets, upper_offset - self.base_offset)
        slot = min(by_position, by_offset) - 1
        return self.positions[slot] if slot >= 0 else 0

    def time_floor(self, timestamp_ms: int) -> int:
        """Position from which the first batch with max timestamp >= `timestamp_ms` is
        found by a forward scan: the entry before the first entry reaching it."""
        slot = bisect_left(self.max_timestamps, timestamp_ms) - 1
        return self.positions[slot] if slot >= 0 else 0

    def truncate(self, position: int) -> None:
        """Drop the entries at or after `position` (a batch boundary being cut)."""
        keep = bisect_left(self.positions, position)
        del self.relative_offsets[keep:]
        del self.positions[keep:]
        del self.max_timestamps[keep:]
        last = self.positions[-1] if self.positions else 0
        self._bytes_since_entry = position - last
        assert self._bytes_since_entry >= 0

    def clear(self) -> None:
        self.truncate(0)

    # ------------------------------------------------------------ persistence

    def write(
        self,
        offset_path: pathlib.Path,
        time_path: pathlib.Path,
        summary: IndexSummary,
        sync: bool = True,
    ) -> None:
        """Write both files and fsync them (callers fsync the directory); `sync` False: the
        caller makes them durable (a syncfs of the file system)."""
        offsets = bytearray()
        times = bytearray()
        for relative, position, stamp in zip(
            self.relative_offsets, self.positions, self.max_timestamps
        ):
            offsets += _OFFSET_ENTRY.pack(relative, position)
            times += _TIME_ENTRY.pack(stamp, relative)
        _write_index_file(offset_path, self._header(OFFSET_MAGIC, summary), offsets, sync)
        _write_index_file(time_path, self._header(TIME_MAGIC, summary), times, sync)

    def _header(self, magic: bytes, summary: IndexSummary) -> bytes:
        return _HEADER.pack(
            magic,
            len(self.positions),
            self.base_offset,
            summary.next_offset,
            summary.max_timestamp_ms,
            summary.log_bytes,
        )

    def load(
        self, offset_path: pathlib.Path, time_path: pathlib.Path, log_bytes: int
    ) -> IndexSummary | None:
        """Load both files if they are valid for a log of `log_bytes`; None otherwise."""
        offset_file = _read_index_file(offset_path, OFFSET_MAGIC, _OFFSET_ENTRY.size)
        time_file = _read_index_file(time_path, TIME_MAGIC, _TIME_ENTRY.size)
        if offset_file is None or time_file is None:
            return None
        (header, offset_entries), (time_header, time_entries) = offset_file, time_file
        _, _, base_offset, next_offset, max_timestamp_ms, file_log_bytes = header
        if header[1:] != time_header[1:]:  # all but the magic must agree
            return None
        if base_offset != self.base_offset or file_log_bytes != log_bytes:
            return None
        relatives = [entry[0] for entry in _OFFSET_ENTRY.iter_unpack(offset_entries)]
        positions = [entry[1] for entry in _OFFSET_ENTRY.iter_unpack(offset_entries)]
        stamps = [entry[0] for entry in _TIME_ENTRY.iter_unpack(time_entries)]
        time_relatives = [entry[1] for entry in _TIME_ENTRY.iter_unpack(time_entries)]
        if not _entries_valid(relatives, positions, stamps, time_relatives, log_bytes):
            return None
        self.relative_offsets = array("I", relatives)
        self.positions = array("I", positions)
        self.max_timestamps = array("q", stamps)
        self._bytes_since_entry = log_bytes - positions[-1]
        return IndexSummary(next_offset, max_timestamp_ms, log_bytes)


def _entries_valid(
    relatives: list[int],
    positions: list[int],
    stamps: list[int],
    time_relatives: list[int],
    log_bytes: int,
) -> bool:
    if not positions or relatives != time_relatives:
        return False
    if relatives[0] != 0 or positions[0] != 0 or positions[-1] >= log_bytes:
        return False
    pairs = zip(range(len(positions) - 1), range(1, len(positions)))
    return all(
        relatives[a] < relatives[b] and positions[a] < positions[b] and stamps[a] <= stamps[b]
        for a, b in pairs
    )


def _write_index_file(
    path: pathlib.Path, header: bytes, entries: bytes | bytearray, sync: bool
) -> None:
    crc = crc32c.crc32c(entries, crc32c.crc32c(header))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write_all(fd, header + _CRC.pack(crc) + bytes(entries))
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _read_index_file(
    path: pathlib.Path, magic: bytes, entry_bytes: int
) -> tuple[tuple, bytes] | None:
    """(header fields, entry bytes) of a well-formed file, or None."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    prefix_bytes = _HEADER.size + _CRC.size
    if len(data) < prefix_bytes:
        return None
    header = _HEADER.unpack_from(data)
    entries = data[prefix_bytes:]
    if header[0] != magic or len(entries) != header[1] * entry_bytes:
        return None
    (crc,) = _CRC.unpack_from(data, _HEADER.size)
    if crc32c.crc32c(entries, crc32c.crc32c(data[: _HEADER.size])) != crc:
        return None
    return header, entries
