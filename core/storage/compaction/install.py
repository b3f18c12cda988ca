"""Step 3 of a compaction pass, `install` (loop thread): swap the rewritten segments
the log still holds unchanged into it and store the new compaction state."""

from __future__ import annotations

import os

from core.storage.compaction.plan import STATE_KEY, CompactionStats
from core.storage.compaction.rewrite import CompactionResult, SegmentRewrite
from core.storage.log import DiskLog
from core.storage.segment import Segment


def install(log: DiskLog, result: CompactionResult) -> CompactionStats:
    """Loop thread: swap in the rewritten segments the log still holds unchanged and
    store the new state; remove every temporary file left.

    Why the renames are here and not in the worker: only the loop thread knows whether
    a segment is still in the log, and between a check in the worker and its rename the
    loop could delete the segment, which the rename would then bring back to life. What
    the worker could do here it already did (scan, index, fsync of the new files: only
    the pass knows them). What is left costs no data I/O: per segment two unlinks, three
    renames, an open and an fstat, then one kvstore write (two small fsyncs) per pass."""
    assert result.plan.directory == log.directory, "a result goes back to its own log"
    stats = CompactionStats(keys=result.keys, mapped_end=result.mapped_end)
    try:
        gone = None if log.closed else _removed_since_prepare(log, result)
        if gone is None:  # the log changed under the pass: install nothing
            stats.segments_stale = len(result.rewritten)
            return stats
        live = dict(zip(result.plan.snapshots, result.plan.segments))
        for done in result.rewritten:
            if done.snapshot.base_offset in gone:
                stats.segments_stale += 1
                continue
            _swap(log, live[done.snapshot], done)
            stats.add(done.stats)
        # write_file_durably fsyncs the directory the renames above were made in.
        assert log.kvstore.path.parent == log.directory
        log.kvstore.put(STATE_KEY, result.state)
        return stats
    finally:
        for done in result.rewritten:  # installed ones were renamed away: ENOENT
            done.remove_temp_files()


def _removed_since_prepare(log: DiskLog, result: CompactionResult) -> set[int] | None:
    """Base offsets of the mapped segments that retention or DeleteRecords deleted
    since `prepare` (a prefix: the rest still stand on their own), or None when one
    changed otherwise: a truncation or another pass may have removed records the key
    map counted as the latest of their keys, so no rewrite may be installed."""
    current = {
        segment.base_offset: segment for segment in log.compactible_segments(log.next_offset)
    }
    gone: set[int] = set()
    plan = result.plan
    for snapshot, segment in zip(plan.snapshots, plan.segments):
        if snapshot.base_offset >= result.mapped_end:
            break
        same = (
            current.get(snapshot.base_offset) is segment
            and not segment.deleted
            and (segment.size_bytes, segment.next_offset)
            == (snapshot.size_bytes, snapshot.next_offset)
        )  # truncated, then closed again
        if same:
            continue
        if not (segment.deleted and snapshot.next_offset <= log.start_offset):
            return None
        gone.add(snapshot.base_offset)
    first_left = min(current, default=log.next_offset)
    assert all(base < first_left for base in gone), "what retention deletes is a prefix"
    return gone


def _swap(log: DiskLog, old: Segment, done: SegmentRewrite) -> None:
    """Put the rewritten file in the place of `old` (see the docstring of the package,
    core.storage.compaction)."""
    temp_log, temp_index, temp_timeindex = done.temp_paths
    for path in old.index_paths():  # first: never an index of the other file
        path.unlink(missing_ok=True)
    os.replace(temp_log, old.path)
    new = Segment.open_existing(log.directory, old.base_offset, old.term, done.index.interval_bytes)
    assert new.size_bytes == done.size_bytes, (new.path, new.size_bytes, done.size_bytes)
    new.index = done.index  # built by the worker's scan of this very file
    new.next_offset = done.snapshot.next_offset
    new.max_timestamp_ms = done.snapshot.max_timestamp_ms
    new.roll_anchor_ms = done.first_max_timestamp_ms
    new.index_dirty = True  # until its files are in place
    log.swap_segment(old, new)
    offset_path, time_path = new.index_paths()
    os.replace(temp_index, offset_path)
    os.replace(temp_timeindex, time_path)
    new.index_dirty = False
