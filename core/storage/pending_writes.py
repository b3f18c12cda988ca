"""PendingWrites: a log's batches that are placed (offsets, segment, index) but whose bytes
are not yet in the segment file: appends whose flush is requested at once (a follower's, and
a leader's large acks=all batches: DiskLog.append_replicated), written by the group-commit
fsync worker just before it fdatasyncs (core.storage.flush), in the round that acknowledges
them, so the event loop does not spend its time in write(2) (20-28% of a follower's under
load). Relaxed appends (acks 0/1, write caching) are written at once: their flush may be
flush_ms away, consumers read them before it, and a killed process keeps them (page cache).

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

from core.storage.fs import IOV_MAX, writev_all
from core.storage.segment import Segment

# A leader's acks=all batch from this size is deferred (Consensus.replicate), smaller ones are
# written at once. Measured with per-thread broker CPU on 2 shared cores, alternating runs:
# bulk produce (~1 MB batches) deferred cost the loop less per record in 10 of 10 pairs
# (median 3.6 vs 4.5 us; on a fully loaded machine 3.95 vs 4.97), the fsync threads 0.3-1.5 us
# more; transactions (batches and markers all < 4 KB) all deferred: no loop saving in the noise
# (median 37.3 vs 37.5 us), fsync threads -1.5..+4.8 us more (a worker that writes takes the
# GIL once more per round). acks=1 all deferred: loop -8%, broker CPU +15%, rec/s lower 3 of 3.
LEADER_DEFER_MIN_BYTES = 32 * 1024


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
        """Write every queued batch, in order (any thread): the consecutive batches of one
        segment with one writev, so a worker thread takes the GIL back once per segment,
        not once per batch (under a busy loop each take may wait a switch interval)."""
        queue = self._queue
        if not queue:
            return
        with self._lock:
            while queue:
                where, run = self._head_run()
                fd = where.segment.write_fd
                assert fd is not None, ("pending write to a closed segment", where)
                try:
                    writev_all(fd, run)
                except OSError:
                    os.ftruncate(fd, where.position)  # the file ends on a batch boundary
                    raise
                for _ in run:
                    queue.popleft()

    def _head_run(self) -> tuple[Unwritten, list[bytearray]]:
        """The oldest entry and the data of the queued batches of its segment that follow
        it. Indexed, not iterated: the loop thread may append meanwhile (only a holder of
        the lock pops), which would end an iteration with an error."""
        queue = self._queue
        where = queue[0][0]
        run = [queue[0][1]]
        for index in range(1, min(len(queue), IOV_MAX)):
            follower, data = queue[index]
            if follower.segment is not where.segment:
                break
            run.append(data)
        return where, run
