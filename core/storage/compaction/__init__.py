"""Key-based log compaction (cleanup.policy=compact) of a DiskLog's closed segments.

A pass has three steps, so that the event loop never reads or rewrites a segment:

1. `prepare` (loop thread, cheap: no file is read). Takes the compactible segments
   (closed, flushed, wholly below max_collectible_offset, a prefix of the log, never
   the active segment) and snapshots what the worker needs of each: base offset,
   term, next offset, size, max timestamp, paths, and a dup of its read fd, so the
   worker reads the very file it was shown even if the log deletes it meanwhile.
   Returns None when there is nothing to do: when the compactible range has not grown,
   no tombstone has come due and delete_retention_ms is unchanged since the last pass
   (kept in the partition kvstore); also, given min_cleanable_dirty_ratio, when the bytes
   of segments not yet wholly mapped are a smaller share of the compactible bytes.
2. `rewrite` (a worker thread; it never touches the DiskLog, its segments or its
   kvstore, only the plan). Maps every record key of the range to its latest offset
   (a bounded map: when it is full the pass stops at a batch boundary, `mapped_end`;
   what follows is left as is). Mapping counts, per segment, the records a later one
   supersedes and the tombstones still the latest of their key, so a segment with
   nothing to drop is not rewritten and a second pass over an unchanged log writes
   nothing. Each segment with something to drop is written to temporary files beside
   it: per key only the latest record survives; null-key records stay; a tombstone
   (null value) stays until `delete_retention_ms` after its segment's max timestamp
   (negative: forever); control batches are copied as they are. Kept records are
   copied byte for byte, so offsets and timestamps do not change; a rewritten batch
   keeps its header (baseOffset, lastOffsetDelta, timestamps, producer id/epoch/base
   sequence, timestamp type, term) and gets the kept records recompressed with its
   codec and a new CRC. A batch left without records stays, empty, only when it is
   the last data batch of its producer in the mapped range (as Kafka keeps the last
   batch of each producer, for idempotence). Other emptied batches are dropped, and
   each run of them becomes one empty *gap* batch (producer_id -1, no records)
   spanning the run's offsets: the segment keeps contiguous offsets and its next
   offset, which recovery checks (it cuts a log at an offset gap), and a consumer
   skips it as any empty batch (KAFKA-17076 keeps the last batch of a cleaned segment
   for the same reason). The new file is fsynced, then scanned back (CRC, offsets,
   term) to build its index, whose two files are written and fsynced beside it.
3. `install` (loop thread: renames and in-memory updates, no data I/O). A rewritten
   segment is installed only if the log still holds the very segment the plan was
   shown, at the same size. Segments that retention or DeleteRecords removed
   meanwhile (wholly below the log start) are skipped and their temporary files
   removed. Any other change to a mapped segment (a truncation, another pass) may
   have removed records the key map counted as the latest of their key, so nothing
   is installed then. The swap of one segment: remove its old index files, rename
   the new file over the segment's name, let the log bury the old segment (its read
   fd stays open file_delete_delay_ms for in-flight readers), rename the new index
   files in. A crash leaves the old or the new file under the name, never a mix; the
   log is then not marked clean, so recovery rescans every segment and ignores index
   files; it also removes leftover temporary files. The new compaction state goes to
   the kvstore last: its write fsyncs the partition directory, which makes the
   renames before it durable too.

`compact` runs the three steps in a row (tests, tools). Passes over one log must not
overlap; temporary names carry a per-pass token, so if they did, files would not mix.

Modules: `plan` (step 1, the plan and snapshot types, stats), `batches` (reading a
segment's batches and records), `keymap` (the key map), `writer` (a rewritten
segment's temporary file), `rewrite` (step 2), `install` (step 3).
"""

from __future__ import annotations

from core.storage.compaction.install import install
from core.storage.compaction.keymap import MAX_RAW_KEY_BYTES
from core.storage.compaction.plan import (
    DEFAULT_MAX_KEYS,
    STATE_KEY,
    TEMP_NAME_SUFFIX,
    CompactionCancelled,
    CompactionPlan,
    CompactionStats,
    SegmentSnapshot,
    dirty_ratio,
    prepare,
)
from core.storage.compaction.rewrite import CompactionResult, SegmentRewrite, rewrite
from core.storage.compaction.writer import WRITE_BUFFER_BYTES
from core.storage.log import DiskLog

__all__ = [
    "DEFAULT_MAX_KEYS",
    "MAX_RAW_KEY_BYTES",
    "STATE_KEY",
    "TEMP_NAME_SUFFIX",
    "WRITE_BUFFER_BYTES",
    "CompactionCancelled",
    "CompactionPlan",
    "CompactionResult",
    "CompactionStats",
    "SegmentRewrite",
    "SegmentSnapshot",
    "compact",
    "dirty_ratio",
    "install",
    "prepare",
    "rewrite",
]


def compact(
    log: DiskLog,
    *,
    now_ms: int,
    max_collectible_offset: int,
    delete_retention_ms: int,
    max_keys: int = DEFAULT_MAX_KEYS,
    min_cleanable_dirty_ratio: float | None = None,
) -> CompactionStats:
    """One whole pass on the calling thread: prepare, rewrite, install."""
    plan = prepare(
        log,
        now_ms=now_ms,
        max_collectible_offset=max_collectible_offset,
        delete_retention_ms=delete_retention_ms,
        max_keys=max_keys,
        min_cleanable_dirty_ratio=min_cleanable_dirty_ratio,
    )
    if plan is None:
        state = log.kvstore.get(STATE_KEY) or {}
        return CompactionStats(skipped=True, mapped_end=state.get("mapped_end", -1))
    return install(log, rewrite(plan))
