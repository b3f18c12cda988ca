"""The removing side of DiskLog: truncation at either end, retention and compaction's swap.

`LogRemoval` is a mixin of `core.storage.log.DiskLog`: its methods change the segment list
and offsets DiskLog keeps. `truncate` cuts the tail (Raft), `prefix_truncate` moves the start
(DeleteRecords, a Raft snapshot), `gc` applies retention (core.storage.retention), and
`swap_segment` puts a compacted copy of a closed segment in place (core.storage.compaction).
A new start offset is persisted in the log's kvstore before any segment goes. Deleted
segments are unlinked at once; a write fd closes once no flush ticket holds it, a read fd
after file_delete_delay_ms (in-flight sendfiles: the Graveyard keeps it).
"""

from __future__ import annotations

import bisect
import os
import pathlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.common.clock import Clock
from core.storage.flush import FlushQueue
from core.storage.fs import fsync_directory
from core.storage.kvstore import KvStore
from core.storage.pending_writes import PendingWrites
from core.storage.retention import Graveyard, collectible_prefix
from core.storage.segment import Segment

if TYPE_CHECKING:
    from core.storage.log import LogConfig

START_OFFSET_KEY = "storage.start_offset"


class LogRemoval:
    """Removals from DiskLog's segments; DiskLog sets these attributes."""

    directory: pathlib.Path
    config: LogConfig
    kvstore: KvStore
    _clock: Clock
    _segments: list[Segment]
    _bases: list[int]
    _unflushed: list[Segment]
    _directory_dirty: bool
    _flushes: FlushQueue
    _pending: PendingWrites
    _graveyard: Graveyard
    _closed: bool
    start_offset: int
    next_offset: int
    flushed_offset: int
    size_bytes: int

    # provided by DiskLog (annotations only: a stub here would shadow them)
    _check: Callable[[], None]
    _maybe_release: Callable[[Segment], None]

    def truncate(self, offset: int) -> None:
        """Remove `offset` (a batch boundary) and everything after it; fsync."""
        assert not self._closed
        assert self.start_offset <= offset, (offset, self.start_offset)
        if offset >= self.next_offset:
            assert offset == self.next_offset, "truncate beyond the log end"
            return
        self._pending.drain()
        slot = bisect.bisect_left(self._bases, offset)
        self._delete_segments(self._segments[slot:])
        if self._segments and self._segments[-1].next_offset > offset:
            self._segments[-1].truncate(offset)
        self._sync_everything()
        self.next_offset = offset
        self.flushed_offset = offset
        self.size_bytes = sum(segment.size_bytes for segment in self._segments)
        self._check()

    def _sync_everything(self) -> None:
        """fdatasync every open write fd and the directory; old tickets count for nothing."""
        for segment in self._segments:
            if segment.write_fd is not None:
                os.fdatasync(segment.write_fd)
            segment.unflushed = False
        fsync_directory(self.directory)
        self._unflushed = []
        self._directory_dirty = False
        self._flushes.invalidate()
        for segment in self._segments[:-1]:
            self._maybe_release(segment)
        if self._segments:
            self._segments[-1].open_for_append()

    def prefix_truncate(self, new_start: int) -> None:
        """DeleteRecords: make `new_start` the first readable offset (persisted first),
        then delete the segments wholly below it."""
        assert not self._closed
        if new_start <= self.start_offset:
            return
        self._pending.drain()
        self.kvstore.put(START_OFFSET_KEY, new_start)
        self.start_offset = new_start
        below = [s for s in self._segments if s.next_offset <= new_start]
        self.size_bytes -= sum(segment.size_bytes for segment in below)
        self._delete_segments(below)
        if new_start > self.next_offset:
            assert not self._segments
            self.next_offset = new_start  # e.g. a Raft snapshot beyond the local log
        if not self._segments:
            self.flushed_offset = self.next_offset
        self._check()

    def gc(self, now_ms: int, max_collectible_offset: int | None = None) -> int:
        """Retention (see core.storage.retention); returns the bytes removed."""
        self._graveyard.reap(self._clock.monotonic_ms())
        doomed = collectible_prefix(
            self._segments, self.config, self.size_bytes, now_ms, max_collectible_offset
        )
        if not doomed:
            return 0
        self._pending.drain()
        removed_bytes = sum(segment.size_bytes for segment in doomed)
        new_start = max(self.start_offset, doomed[-1].next_offset)
        self.kvstore.put(START_OFFSET_KEY, new_start)
        self.start_offset = new_start
        self._delete_segments(doomed)
        self.size_bytes -= removed_bytes
        self._check()
        return removed_bytes

    # ------------------------------------------------------------ compaction

    def compactible_segments(self, max_offset: int) -> list[Segment]:
        """The closed segments, from the first, wholly below `max_offset` and flushed,
        whose write fd is closed: what compaction may rewrite (see core.storage.compaction)."""
        found: list[Segment] = []
        for segment in self._segments[:-1]:  # never the active segment
            if segment.next_offset > min(max_offset, self.flushed_offset):
                break
            if segment.pins or segment.unflushed or segment.write_fd is not None:
                break
            found.append(segment)
        return found

    def swap_segment(self, old: Segment, new: Segment) -> None:
        """Put `new`, a rewritten copy of closed segment `old` already renamed over its
        file (compaction), in its place. `old` is buried, not unlinked: its path is the
        new file's now, and its read fd must outlive in-flight sendfiles."""
        assert not self._closed and old in self._segments[:-1]
        assert old.pins == 0 and not old.unflushed and old.write_fd is None
        assert (new.base_offset, new.term, new.next_offset) == (
            old.base_offset,
            old.term,
            old.next_offset,
        )
        self._segments[self._segments.index(old)] = new
        self.size_bytes += new.size_bytes - old.size_bytes
        old.deleted = True
        self._graveyard.bury(old, self._clock.monotonic_ms(), self.config.file_delete_delay_ms)
        self._check()

    def _delete_segments(self, doomed: list[Segment]) -> None:
        """Unlink files now; the write fd closes once no flush ticket holds it, the read
        fd after file_delete_delay_ms (in-flight sendfiles)."""
        for segment in doomed:
            slot = self._segments.index(segment)
            del self._segments[slot]
            del self._bases[slot]
            segment.unlink_files()
            segment.unflushed = False
            if segment.pins == 0:
                segment.close_write_fd()
            self._graveyard.bury(
                segment, self._clock.monotonic_ms(), self.config.file_delete_delay_ms
            )
        self._unflushed = [s for s in self._unflushed if not s.deleted]
        self._graveyard.reap(self._clock.monotonic_ms())
