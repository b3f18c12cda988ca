"""The read side of DiskLog: byte ranges for sendfile and queries by offset, time and term.

`LogReads` is a mixin of `core.storage.log.DiskLog`: its methods read the segment list and
offsets DiskLog keeps. Reads never decode records (they return a byte range of one segment
file); only `max_timestamp_query`, off the hot path, decodes one batch.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass

from core.model.batch import HEADER_SIZE, BatchHeader, parse_header, split_batches
from core.model.control import Marker, read_marker
from core.model.records import decode_batch
from core.storage.errors import OffsetOutOfRange
from core.storage.fs import pread_exact
from core.storage.pending_writes import PendingWrites
from core.storage.segment import Segment

REPLAY_CHUNK_BYTES = 4 * 1024 * 1024  # a replay of small batches reads this much at once
REPLAY_LARGE_BATCH_BYTES = 64 * 1024  # from this size a replay reads the batch's header only


@dataclass(frozen=True, slots=True)
class ReadSlice:
    """Whole batches `first_offset..last_offset` at [position, position+length) of `fd`.

    `fd` is the segment's read-only fd. It stays valid for file_delete_delay_ms after
    the segment is deleted (truncate, prefix_truncate, gc), so an in-flight sendfile
    finishes on the right file, and until the log is closed.
    """

    fd: int
    position: int
    length: int
    first_offset: int
    last_offset: int


class LogReads:
    """Reads over DiskLog's segments; DiskLog sets these attributes."""

    _segments: list[Segment]
    _bases: list[int]  # base offset of each segment, for bisect
    _pending: PendingWrites  # batches placed but not yet written (deferred appends)
    start_offset: int
    next_offset: int

    # ------------------------------------------------------------ read

    def _first_segment_at(self, offset: int) -> int:
        return max(bisect.bisect_right(self._bases, offset) - 1, 0)

    def read(self, offset: int, max_bytes: int, upper_offset: int) -> ReadSlice | None:
        """Whole batches of one segment from the batch holding `offset` (see Segment.read_range)."""
        assert max_bytes >= 0
        if offset < self.start_offset:
            raise OffsetOutOfRange(offset, self.start_offset)
        if offset >= min(upper_offset, self.next_offset):
            return None
        unwritten = self._pending.oldest()
        if unwritten is not None and min(upper_offset, self.next_offset) > unwritten.base_offset:
            self._pending.drain()  # the read reaches batches not yet written: write them now
            unwritten = None
        for segment in self._segments[self._first_segment_at(offset) :]:
            if segment.next_offset <= offset:
                continue  # only an empty segment can end at or below offset
            end = None  # where the written file ends, if before the segment's end
            if unwritten is not None and unwritten.segment is segment:
                end = (unwritten.position, unwritten.base_offset)
            found = segment.read_range(offset, max_bytes, upper_offset, end)
            if found is None:
                return None
            assert found.first_offset < upper_offset and found.last_offset >= offset
            return ReadSlice(
                segment.read_fd, found.position, found.length, found.first_offset, found.last_offset
            )
        return None

    def read_bytes(self, offset: int, max_bytes: int, upper_offset: int) -> bytes:
        found = self.read(offset, max_bytes, upper_offset)
        if found is None:
            return b""
        return pread_exact(found.fd, found.length, found.position)

    def read_header(self, offset: int, upper_offset: int) -> tuple[ReadSlice, bytes] | None:
        """The batch holding `offset` (below `upper_offset`) and its first HEADER_SIZE bytes,
        without reading the rest of it (None: no such batch)."""
        found = self.read(offset, 0, upper_offset)  # the first batch only (KIP-74)
        if found is None:
            return None
        return found, pread_exact(found.fd, min(HEADER_SIZE, found.length), found.position)

    def batch_headers(
        self, offset: int, upper_offset: int
    ) -> Iterator[tuple[BatchHeader, Marker | None]]:
        """Headers of the batches from the one holding `offset` below `upper_offset`, each with
        its transaction marker (only a control batch's record is decoded). A large batch is not
        read, only its header (a log of 1 MiB batches is replayed from 61 bytes a MiB); small
        ones are read in chunks of REPLAY_CHUNK_BYTES."""
        while offset < upper_offset:
            first = self.read_header(offset, upper_offset)
            if first is None:
                return
            found, head = first
            if found.length >= REPLAY_LARGE_BATCH_BYTES:
                header = parse_header(head)
                marker = None
                if header.is_control:
                    batch = pread_exact(found.fd, found.length, found.position)
                    marker = read_marker(batch, 0, header)
                yield header, marker
                offset = header.last_offset + 1
                continue
            chunk = self.read_bytes(offset, REPLAY_CHUNK_BYTES, upper_offset)
            for pos, header in split_batches(chunk, check_crc=False):
                if header.base_offset >= upper_offset:
                    return
                yield header, read_marker(chunk, pos, header) if header.is_control else None
                offset = header.last_offset + 1

    def timequery(self, timestamp_ms: int, upper_offset: int) -> int | None:
        """Base offset of the first batch below `upper_offset` whose max timestamp is
        >= `timestamp_ms` (batch granularity: records before it in that batch may be
        older), never below start_offset. None if there is none."""
        self._pending.drain()
        for segment in self._segments:
            if segment.base_offset >= upper_offset:
                return None
            found, reached_upper = segment.find_time(timestamp_ms, upper_offset)
            if found is not None:
                return max(found, self.start_offset)
            if reached_upper:
                return None
        return None

    def max_timestamp_query(self, upper_offset: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record below `upper_offset` carrying the log's
        largest timestamp (ListOffsets MAX_TIMESTAMP, KIP-734); None if the log is empty or
        that record is not below `upper_offset`. Off the hot path: decodes one batch."""
        self._pending.drain()
        best = None
        for segment in self._segments:
            if segment.base_offset >= upper_offset:
                break
            if segment.size_bytes and (
                best is None or segment.max_timestamp_ms > best.max_timestamp_ms
            ):
                best = segment
        if best is None or best.max_timestamp_ms < 0:
            return None
        base, _ = best.find_time(best.max_timestamp_ms, upper_offset)
        chunk = b"" if base is None else self.read_bytes(base, 1, upper_offset)
        if not chunk:
            return None
        header, records = decode_batch(chunk)
        for record in records:
            offset = record.offset
            if (
                offset is not None
                and record.timestamp_ms == header.max_timestamp
                and offset >= self.start_offset
            ):
                return offset, header.max_timestamp
        return None

    # ------------------------------------------------------------ terms

    def segment_terms(self) -> list[tuple[int, int]]:
        """(term, first offset) of each run of same-term segments, in log order."""
        runs: list[tuple[int, int]] = []
        for segment in self._segments:
            if not runs or runs[-1][0] != segment.term:
                runs.append((segment.term, segment.base_offset))
        return runs

    def term_at(self, offset: int) -> int | None:
        """Term of the batch holding `offset`; None outside [first segment, next_offset)."""
        if not self._segments or not self._bases[0] <= offset < self.next_offset:
            return None
        return self._segments[self._first_segment_at(offset)].term
