"""PendingWrites: a log's batches that are placed (offsets, segment, index) but whose bytes
are not yet in the segment file: a follower's appends (DiskLog.append_replicated), written
by the group-commit fsync worker just before it fdatasyncs (core.storage.flush), so the
follower's event loop does not spend its time in write(2) (20-28% of it under load).

Order: one queue per log, written strictly in append order under one lock by whoever drains
it (a worker thread or, before anything reads or cuts the file, the loop itself), each entry
taken off the queue only after its bytes are written, so the oldest queued entry bounds what
the file holds: a reader below it needs no drain (`DiskLog.read`). A write's segment keeps
its write fd until a flush ticket that drained it settles (the segment is unflushed or
pinned meanwhile). A failed write (e.g. ENOSPC) cuts the torn bytes and raises: in a flush
round that is fatal, as a failed fdatasync is (core.storage.group_commit).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from typing import NamedTuple

from core.storage.fs import write_all
from core.storage.segment import Segment


class Unwritten(NamedTuple):
    """Where the oldest unwritten batch goes: its segment, byte position and base offset."""

    segment: Segment
    position: int
    base_offset: int


class PendingWrites:
    __slots__ = ("_queue", "_lock")

    def __init__(self) -> None:
        self._queue: deque[tuple[Unwritten, bytearray]] = deque()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, segment: Segment, position: int, base_offset: int, data: bytearray) -> None:
        """Queue `data` for `segment` at `position` (loop thread; the segment's in-memory
        state already includes it)."""
        self._queue.append((Unwritten(segment, position, base_offset), data))

    def oldest(self) -> Unwritten | None:
        """The oldest batch not yet written (it may be written meanwhile: then the answer is
        merely conservative)."""
        try:
            return self._queue[0][0]
        except IndexError:
            return None

    def drain(self) -> None:
        """Write every queued batch, in order (any thread)."""
        queue = self._queue
        if not queue:
            return
        with self._lock:
            while queue:
                where, data = queue[0]
                fd = where.segment.write_fd
                assert fd is not None, ("pending write to a closed segment", where)
                try:
                    write_all(fd, data)
                except OSError:
                    os.ftruncate(fd, where.position)  # the file ends on a batch boundary
                    raise
                queue.popleft()
