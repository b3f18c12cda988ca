"""DiskLog: the segmented on-disk log of one partition.

The hot path never decodes records: append patches baseOffset and
partitionLeaderEpoch (outside the CRC) and writes the batch; read (log_reads.py) returns a
byte range of one segment file for sendfile. Offsets: `start_offset` <= readable < `next_offset`
(log end, "dirty"); `flushed_offset` <= `next_offset` is what fdatasync has covered.
A segment holds batches of one Raft term; the term is in its file name. Truncation at
either end, retention and compaction's segment swap are in log_removal.py.
"""

from __future__ import annotations

import pathlib
import struct
from dataclasses import dataclass

from core.common.clock import Clock
from core.model.batch import HEADER_SIZE, LOG_OVERHEAD, patch_base_offset, patch_leader_epoch
from core.storage.flush import FlushQueue, FlushTicket, run_ticket
from core.storage.fs import fsync_directory
from core.storage.index import U32_MAX
from core.storage.kvstore import KvStore
from core.storage.log_reads import LogReads, ReadSlice
from core.storage.log_removal import START_OFFSET_KEY, LogRemoval
from core.storage.pending_writes import PendingWrites
from core.storage.recovery import recover_segments
from core.storage.retention import Graveyard
from core.storage.segment import Segment

CLEAN_SHUTDOWN_KEY = "storage.clean_shutdown"
KVSTORE_NAME = "kvstore.json"

__all__ = [
    "CLEAN_SHUTDOWN_KEY",
    "KVSTORE_NAME",
    "START_OFFSET_KEY",
    "DiskLog",
    "LogConfig",
    "ReadSlice",
]

_LENGTH = struct.Struct(">i")  # batchLength, at byte 8
_TAIL = struct.Struct(">iqq")  # lastOffsetDelta, firstTimestamp, maxTimestamp, at byte 23
_TAIL_AT = 23


@dataclass(frozen=True)
class LogConfig:
    segment_bytes: int = 128 * 1024 * 1024
    segment_ms: int | None = None
    index_interval_bytes: int = 4096
    retention_ms: int | None = None
    retention_bytes: int | None = None
    file_delete_delay_ms: int = 60_000  # deleted segments keep their read fd this long

    def __post_init__(self) -> None:
        # Index positions are u32: every batch must start below 4 GiB.
        assert 0 < self.segment_bytes <= U32_MAX, self.segment_bytes
        assert self.index_interval_bytes > 0
        assert self.segment_ms is None or self.segment_ms > 0
        assert self.retention_ms is None or self.retention_ms >= 0
        assert self.retention_bytes is None or self.retention_bytes >= 0
        assert self.file_delete_delay_ms >= 0


class DiskLog(LogReads, LogRemoval):
    def __init__(
        self,
        directory: pathlib.Path,
        config: LogConfig,
        clock: Clock,
        kvstore: KvStore,
        segments: list[Segment],
        start_offset: int,
        own_marker: bool = True,
    ) -> None:
        self.directory = directory
        self._own_marker = own_marker  # False: the owner records clean shutdowns (open)
        self.config = config
        self.kvstore = kvstore
        self._clock = clock
        self._segments = segments
        self._bases = [segment.base_offset for segment in segments]
        self._unflushed: list[Segment] = []  # segments with bytes no ticket has taken
        self._directory_dirty = False  # segments created since the last flush ticket
        self._flushes = FlushQueue()
        self._pending = PendingWrites()  # append_replicated's bytes not yet in the file
        self._graveyard = Graveyard()
        self.start_offset = start_offset
        self.next_offset = segments[-1].next_offset if segments else start_offset
        self.flushed_offset = self.next_offset  # recovery fsynced what it kept
        self.size_bytes = sum(segment.size_bytes for segment in segments)
        self._closed = False
        self._check()

    @classmethod
    def open(
        cls, directory: pathlib.Path, config: LogConfig, clock: Clock, clean: bool | None = None
    ) -> DiskLog:
        """Open (recover) the log in `directory`, or create it there.

        A log created here costs no fsync: its directory has nothing to recover, and its
        kvstore is not written, since a store without the clean-shutdown marker already
        says "not clean" (what a crash before its first write must leave: an empty log,
        or whatever its later, durable writes hold). An existing log is marked unclean,
        durably, before anything is appended to it.

        `clean` given: the owner keeps one record of clean shutdowns for all its logs
        (core.storage.clean_shutdown) and says what it holds; the log keeps no marker of its
        own, and its close() leaves the directory fsync to the owner's one syncfs."""
        directory = pathlib.Path(directory)
        try:
            directory.mkdir(parents=True)
        except FileExistsError:
            pass
        else:
            kvstore = KvStore.open(directory / KVSTORE_NAME)
            return cls(directory, config, clock, kvstore, [], 0, own_marker=clean is None)
        kvstore = KvStore.open(directory / KVSTORE_NAME)
        own_marker = clean is None
        if clean is None:
            clean = kvstore.get(CLEAN_SHUTDOWN_KEY, False) is True
        stored_start = int(kvstore.get(START_OFFSET_KEY, 0))
        segments = recover_segments(directory, stored_start, clean, config.index_interval_bytes)
        # A gap up to the first segment is fine (retention moved past it).
        start_offset = max(stored_start, segments[0].base_offset) if segments else stored_start
        for segment in segments[:-1]:
            segment.close_write_fd()
        if segments:
            segments[-1].open_for_append()
        if own_marker:
            kvstore.put(CLEAN_SHUTDOWN_KEY, False)  # until close() says otherwise
        return cls(directory, config, clock, kvstore, segments, start_offset, own_marker)

    # ------------------------------------------------------------ properties

    @property
    def active_term(self) -> int:
        return self._segments[-1].term if self._segments else -1

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def segment_count(self) -> int:
        return len(self._segments)

    def update_config(self, config: LogConfig) -> None:
        self.config = config

    def _check(self) -> None:
        assert 0 <= self.start_offset <= self.next_offset, (self.start_offset, self.next_offset)
        assert self.flushed_offset <= self.next_offset, (self.flushed_offset, self.next_offset)
        assert self.size_bytes == sum(segment.size_bytes for segment in self._segments)
        assert self._bases == [segment.base_offset for segment in self._segments]

    # ------------------------------------------------------------ append

    def append(self, batch: bytearray, term: int) -> tuple[int, int]:
        """Assign offsets to one validated batch and write it (no fsync): relaxed appends
        (acks 0/1, write caching), whose flush may be flush_ms away."""
        return self._append(batch, term, deferred=False)

    def append_replicated(self, batch: bytearray, term: int) -> tuple[int, int]:
        """As `append`, but the bytes are written by the next flush round's worker, off the
        event loop (core.storage.pending_writes): for appends whose flush is requested at
        once, a follower's and a leader's large acks=all batches. Reads and cuts write them
        first where they reach them. The log owns `batch` from here: the caller must not
        change it."""
        return self._append(batch, term, deferred=True)

    def _append(self, batch: bytearray, term: int, *, deferred: bool) -> tuple[int, int]:
        assert not self._closed
        assert len(batch) >= HEADER_SIZE
        assert _LENGTH.unpack_from(batch, 8)[0] + LOG_OVERHEAD == len(batch), "one whole batch"
        assert term >= self.active_term >= -1, (term, self.active_term)
        last_offset_delta, _, max_timestamp_ms = _TAIL.unpack_from(batch, _TAIL_AT)
        base_offset = self.next_offset
        last_offset = base_offset + last_offset_delta
        now_ms = self._clock.now_ms()
        if self._must_roll(term, len(batch), last_offset, now_ms):
            self._roll(term)
        segment = self._segments[-1]
        patch_base_offset(batch, 0, base_offset)
        patch_leader_epoch(batch, 0, term)
        if deferred:
            position = segment.size_bytes
            segment.record(len(batch), base_offset, last_offset, max_timestamp_ms, now_ms)
            self._pending.add(segment, position, base_offset, batch)
        else:
            self._pending.drain()  # after deferred appends: keep file order
            segment.append(batch, base_offset, last_offset, max_timestamp_ms, now_ms)
        if segment not in self._unflushed:
            self._unflushed.append(segment)
        self.next_offset = last_offset + 1
        self.size_bytes += len(batch)
        assert segment.next_offset == self.next_offset
        return base_offset, last_offset

    def _must_roll(self, term: int, batch_bytes: int, last_offset: int, now_ms: int) -> bool:
        if not self._segments:
            return True
        active = self._segments[-1]
        if active.term != term:
            return True
        if active.is_empty:
            return False
        if active.size_bytes + batch_bytes > self.config.segment_bytes:
            return True
        if last_offset - active.base_offset > U32_MAX:
            return True  # relative offsets in the index are u32
        segment_ms = self.config.segment_ms
        anchor_ms = active.roll_anchor_ms
        return segment_ms is not None and anchor_ms is not None and now_ms - anchor_ms >= segment_ms

    def _roll(self, term: int) -> None:
        if self._segments:
            previous = self._segments[-1]
            if previous.pins == 0 and not previous.unflushed:
                previous.close_write_fd()
        segment = Segment.create(
            self.directory, self.next_offset, term, self.config.index_interval_bytes
        )
        self._segments.append(segment)
        self._bases.append(segment.base_offset)
        self._directory_dirty = True

    # ------------------------------------------------------------ flush

    def flush_begin(self) -> FlushTicket | None:
        """Capture the log end and the fds holding unflushed bytes (loop thread)."""
        if not self._unflushed and not self._directory_dirty:
            return None
        directory = str(self.directory) if self._directory_dirty else None
        drain = self._pending.drain if len(self._pending) else None
        ticket = self._flushes.capture(self.next_offset, self._unflushed, directory, drain)
        self._unflushed = []
        self._directory_dirty = False
        return ticket

    @staticmethod
    def flush_run(ticket: FlushTicket) -> None:
        """Write the pending batches, fdatasync the ticket's fds (any thread)."""
        run_ticket(ticket)

    def flush_end(self, ticket: FlushTicket) -> None:
        """Advance flushed_offset; close write fds of rolled segments no longer needed."""
        durable = self._flushes.settle(ticket)
        if durable is not None:
            self.flushed_offset = max(self.flushed_offset, min(durable, self.next_offset))
        for segment in ticket.segments:
            self._maybe_release(segment)
        if self._graveyard:
            self._graveyard.reap(self._clock.monotonic_ms())
        self._check()

    def flush(self) -> None:
        ticket = self.flush_begin()
        if ticket is None:
            return
        self.flush_run(ticket)
        self.flush_end(ticket)

    def _maybe_release(self, segment: Segment) -> None:
        if segment.pins or segment.unflushed:
            return
        if segment.deleted:
            segment.close_write_fd()  # the graveyard closes the read fd
        elif not self._segments or segment is not self._segments[-1]:
            segment.close_write_fd()

    # ------------------------------------------------------------ close

    def close(self) -> None:
        """Flush, write index files, mark the shutdown clean, close every fd.

        Under the owner's clean-shutdown record (`clean` given to open) the bytes are written
        but not synced: the owner's one syncfs after every log closed makes them durable
        before it records the clean stop (without it, the next start scans the log)."""
        if self._closed:
            return
        assert not self._flushes.outstanding, "close() while a flush ticket is outstanding"
        if self._own_marker:
            self.flush()
        else:
            self._pending.drain()  # written now; synced by the owner's syncfs
        for segment in self._segments:
            if segment.index_dirty:
                segment.write_index(sync=self._own_marker)
        if self._own_marker:
            fsync_directory(self.directory)
            self.kvstore.put(CLEAN_SHUTDOWN_KEY, True)
        for segment in self._segments:
            segment.close()
        self._graveyard.reap(0, everything=True)
        self._closed = True

    def abandon(self) -> None:
        """Close every fd without flushing, writing indexes or marking the shutdown clean:
        what a crash leaves behind (tests; a broker stopping after a fatal I/O error)."""
        held = [s for ticket in self._flushes.outstanding for s in ticket.segments]
        for segment in [*self._segments, *held]:
            segment.pins = 0
            segment.close()
        self._flushes.outstanding.clear()
        self._graveyard.reap(0, everything=True)
        self._closed = True
