"""Step 1 of a compaction pass, `prepare` (loop thread), and the types a pass shares:
its plan, the segment snapshots the worker reads, its stats and its cancellation."""

from __future__ import annotations

import os
import pathlib
import threading
from dataclasses import dataclass, field

from core.storage.compaction.aborted import AbortedRanges
from core.storage.log import DiskLog
from core.storage.recovery import COMPACTION_TEMP_SUFFIX
from core.storage.segment import Segment

STATE_KEY = "storage.compaction"
TEMP_NAME_SUFFIX = COMPACTION_TEMP_SUFFIX
DEFAULT_MAX_KEYS = 500_000  # about 60 MB of map at the most


class CompactionCancelled(Exception):
    """`CompactionPlan.cancel` stopped a rewrite; its temporary files are removed."""


@dataclass
class CompactionStats:
    segments_rewritten: int = 0  # installed in the log
    records_removed: int = 0  # superseded records and expired tombstones
    tombstones_removed: int = 0  # of records_removed: tombstones past delete_retention_ms
    batches_dropped: int = 0  # emptied batches not kept for their producer
    bytes_before: int = 0  # of the rewritten segments
    bytes_after: int = 0
    keys: int = 0
    mapped_end: int = -1  # the key map covers every record below this offset
    skipped: bool = False  # nothing new since the last pass: the log was not read
    segments_stale: int = 0  # rewritten, but the log changed them before install

    def add(self, other: CompactionStats) -> None:
        self.segments_rewritten += other.segments_rewritten
        self.records_removed += other.records_removed
        self.tombstones_removed += other.tombstones_removed
        self.batches_dropped += other.batches_dropped
        self.bytes_before += other.bytes_before
        self.bytes_after += other.bytes_after


@dataclass(frozen=True, slots=True)
class SegmentSnapshot:
    """What the worker may know of one closed segment, taken on the loop thread."""

    base_offset: int
    term: int
    next_offset: int
    size_bytes: int
    max_timestamp_ms: int
    path: pathlib.Path
    index_paths: tuple[pathlib.Path, pathlib.Path]
    fd: int  # the worker's own dup of the read fd: the same file even after an unlink


@dataclass(eq=False)
class CompactionPlan:
    """A pass `prepare` set up. The worker reads `snapshots`; `segments` are the log's
    own objects, for `install` to compare with on the loop thread only."""

    directory: pathlib.Path
    snapshots: tuple[SegmentSnapshot, ...]
    segments: tuple[Segment, ...] = field(repr=False)
    now_ms: int
    delete_retention_ms: int
    max_keys: int
    index_interval_bytes: int
    token: str  # in this pass's temporary file names
    aborted: AbortedRanges = field(default_factory=AbortedRanges, repr=False)
    _cancelled: threading.Event = field(default_factory=threading.Event, repr=False)
    _fds_closed: bool = False

    def cancel(self) -> None:
        """Ask a running `rewrite` to stop at its next batch (any thread)."""
        self._cancelled.set()

    def check_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise CompactionCancelled(str(self.directory))

    def close(self) -> None:
        """Close the snapshots' fds (rewrite does; a plan never rewritten must)."""
        if self._fds_closed:
            return
        self._fds_closed = True
        for snapshot in self.snapshots:
            os.close(snapshot.fd)


def prepare(
    log: DiskLog,
    *,
    now_ms: int,
    max_collectible_offset: int,
    delete_retention_ms: int,
    max_keys: int = DEFAULT_MAX_KEYS,
    min_cleanable_dirty_ratio: float | None = None,
    aborted: tuple[tuple[int, int, int], ...] = (),
) -> CompactionPlan | None:
    """Loop thread: what a pass would compact, or None when it has nothing new to do.

    With `min_cleanable_dirty_ratio`, a log whose dirty bytes (closed segments not yet wholly
    mapped by an earlier pass) are a smaller share of its compactible bytes waits, unless a
    tombstone came due or delete_retention_ms changed."""
    assert not log.closed and max_keys > 0
    segments = tuple(log.compactible_segments(max_collectible_offset))
    if not segments:
        return None
    state = log.kvstore.get(STATE_KEY) or {}
    if _nothing_new(state, segments[-1].next_offset, now_ms, delete_retention_ms):
        return None
    if _too_clean(state, segments, now_ms, delete_retention_ms, min_cleanable_dirty_ratio):
        return None
    snapshots: list[SegmentSnapshot] = []
    try:
        for segment in segments:
            snapshots.append(_snapshot(segment))
    except OSError:  # e.g. out of fds: the pass just does not happen now
        for snapshot in snapshots:
            os.close(snapshot.fd)
        raise
    return CompactionPlan(
        log.directory,
        tuple(snapshots),
        segments,
        now_ms,
        delete_retention_ms,
        max_keys,
        log.config.index_interval_bytes,
        os.urandom(4).hex(),
        AbortedRanges(aborted),
    )


def _snapshot(segment: Segment) -> SegmentSnapshot:
    assert segment.write_fd is None and not segment.deleted and segment.read_fd >= 0
    return SegmentSnapshot(
        segment.base_offset,
        segment.term,
        segment.next_offset,
        segment.size_bytes,
        segment.max_timestamp_ms,
        segment.path,
        segment.index_paths(),
        os.dup(segment.read_fd),
    )


def _nothing_new(state: dict, end: int, now_ms: int, delete_retention_ms: int) -> bool:
    if not state or state.get("delete_retention_ms") != delete_retention_ms:
        return False
    due_ms = state.get("tombstone_due_ms")
    return end <= state["mapped_end"] and (due_ms is None or now_ms < due_ms)


def dirty_ratio(segments: tuple[Segment, ...], mapped_end: int) -> float:
    """Share of the segments' bytes in segments an earlier pass did not wholly map."""
    total = sum(segment.size_bytes for segment in segments)
    dirty = sum(segment.size_bytes for segment in segments if segment.next_offset > mapped_end)
    return dirty / total if total else 0.0


def _too_clean(
    state: dict,
    segments: tuple[Segment, ...],
    now_ms: int,
    delete_retention_ms: int,
    min_ratio: float | None,
) -> bool:
    if min_ratio is None or not state or state.get("delete_retention_ms") != delete_retention_ms:
        return False
    due_ms = state.get("tombstone_due_ms")
    if due_ms is not None and now_ms >= due_ms:
        return False
    return dirty_ratio(segments, state["mapped_end"]) < min_ratio
