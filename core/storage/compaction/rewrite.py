"""Step 2 of a compaction pass, `rewrite` (a worker thread): from the key map, write,
fsync and index the temporary files of each segment with something to drop."""

from __future__ import annotations

import dataclasses
import os
import pathlib
from dataclasses import dataclass

from core.model.batch import ATTR_COMPRESSION_MASK, BatchHeader
from core.model.records import COMPRESSION_NONE, compress
from core.storage.compaction.batches import parse_records, read_batches
from core.storage.compaction.keymap import KeyMap
from core.storage.compaction.plan import (
    TEMP_NAME_SUFFIX,
    CompactionPlan,
    CompactionStats,
    SegmentSnapshot,
)
from core.storage.compaction.writer import SegmentWriter, encode_batch
from core.storage.index import IndexSummary, SparseIndex
from core.storage.scan import scan_segment


@dataclass(eq=False)
class SegmentRewrite:
    """One segment's new files, fsynced, and the state of the new segment."""

    snapshot: SegmentSnapshot
    temp_paths: tuple[pathlib.Path, pathlib.Path, pathlib.Path]  # log, index, timeindex
    index: SparseIndex
    size_bytes: int
    first_max_timestamp_ms: int | None
    stats: CompactionStats

    def remove_temp_files(self) -> None:
        for path in self.temp_paths:
            path.unlink(missing_ok=True)


@dataclass(eq=False)
class CompactionResult:
    plan: CompactionPlan
    rewritten: list[SegmentRewrite]
    keys: int
    mapped_end: int
    state: dict  # the kvstore value `install` stores


def rewrite(plan: CompactionPlan) -> CompactionResult:
    """Worker thread: map keys and write, fsync and index the rewritten segments'
    temporary files. Reads only the plan's own fds and closes them."""
    rewritten: list[SegmentRewrite] = []
    try:
        assert not plan._fds_closed, "a plan is rewritten once"
        key_map = KeyMap.build(plan)
        for slot, snapshot in enumerate(plan.snapshots):
            if snapshot.base_offset >= key_map.end:
                break
            expired = _tombstones_expired(snapshot, plan.now_ms, plan.delete_retention_ms)
            if key_map.dead[slot] or (expired and key_map.live_tombstones[slot]):
                rewritten.append(_rewrite_segment(plan, snapshot, key_map, expired))
        state = {
            "mapped_end": key_map.end,
            "delete_retention_ms": plan.delete_retention_ms,
            "tombstone_due_ms": _next_due_ms(plan, key_map),
        }
        return CompactionResult(plan, rewritten, len(key_map.latest), key_map.end, state)
    except BaseException:
        for done in rewritten:
            done.remove_temp_files()
        raise
    finally:
        plan.close()


def _tombstones_expired(snapshot: SegmentSnapshot, now_ms: int, delete_retention_ms: int) -> bool:
    if delete_retention_ms < 0:
        return False
    return now_ms >= snapshot.max_timestamp_ms + delete_retention_ms


def _next_due_ms(plan: CompactionPlan, key_map: KeyMap) -> int | None:
    """When the earliest tombstone still kept may go (None: no such tombstone)."""
    if plan.delete_retention_ms < 0:
        return None
    due = [
        snapshot.max_timestamp_ms + plan.delete_retention_ms
        for slot, snapshot in enumerate(plan.snapshots)
        if snapshot.base_offset < key_map.end and key_map.live_tombstones[slot]
    ]
    due = [due_ms for due_ms in due if due_ms > plan.now_ms]
    return min(due) if due else None


def _temp_paths(
    plan: CompactionPlan, snapshot: SegmentSnapshot
) -> tuple[pathlib.Path, pathlib.Path, pathlib.Path]:
    suffix = f".{plan.token}{TEMP_NAME_SUFFIX}"
    offset_path, time_path = snapshot.index_paths
    return tuple(
        path.with_name(path.name + suffix)  # type: ignore[return-value]
        for path in (snapshot.path, offset_path, time_path)
    )


def _rewrite_segment(
    plan: CompactionPlan, snapshot: SegmentSnapshot, key_map: KeyMap, drop_tombstones: bool
) -> SegmentRewrite:
    temp_paths = _temp_paths(plan, snapshot)
    stats = CompactionStats(segments_rewritten=1, bytes_before=snapshot.size_bytes)  # if installed
    try:
        with SegmentWriter(temp_paths[0], snapshot.term) as writer:
            for header, data in read_batches(snapshot, plan):
                if header.is_control or header.base_offset >= key_map.end:
                    writer.keep(data)
                else:
                    aborted = plan.aborted.holds(header)
                    _filter_batch(header, data, key_map, drop_tombstones, aborted, writer, stats)
        done = _index_rewritten(plan, snapshot, temp_paths, stats)
    except BaseException:
        for path in temp_paths:
            path.unlink(missing_ok=True)
        raise
    return done


def _index_rewritten(
    plan: CompactionPlan,
    snapshot: SegmentSnapshot,
    temp_paths: tuple[pathlib.Path, pathlib.Path, pathlib.Path],
    stats: CompactionStats,
) -> SegmentRewrite:
    """Scan the new file (CRC, contiguous offsets, term) to build its index, as recovery
    would, and write the index files beside it (fsynced)."""
    index = SparseIndex(snapshot.base_offset, plan.index_interval_bytes)
    fd = os.open(temp_paths[0], os.O_RDONLY | os.O_CLOEXEC)
    try:
        size_bytes = os.fstat(fd).st_size
        running_max_ms = -1

        def on_batch(header: BatchHeader, position: int) -> None:
            nonlocal running_max_ms
            running_max_ms = max(running_max_ms, header.max_timestamp)
            index.on_batch(header.base_offset, position, header.size_bytes, running_max_ms)

        scan = scan_segment(fd, size_bytes, snapshot.base_offset, snapshot.term, on_batch)
    finally:
        os.close(fd)
    assert scan.problem is None, (temp_paths[0], scan.problem)
    assert (scan.next_offset, scan.max_timestamp_ms) == (
        snapshot.next_offset,
        snapshot.max_timestamp_ms,
    ), temp_paths[0]
    index.write(
        temp_paths[1],
        temp_paths[2],
        IndexSummary(scan.next_offset, scan.max_timestamp_ms, size_bytes),
    )
    stats.bytes_after = size_bytes
    return SegmentRewrite(
        snapshot, temp_paths, index, size_bytes, scan.first_max_timestamp_ms, stats
    )


def _filter_batch(
    header: BatchHeader,
    data: bytes,
    key_map: KeyMap,
    drop_tombstones: bool,
    aborted: bool,
    writer: SegmentWriter,
    stats: CompactionStats,
) -> None:
    body, records = parse_records(header, data)
    kept = []
    for record in records if not aborted else ():
        offset = header.base_offset + record.offset_delta
        latest = record.key is None or key_map.is_latest(record, offset)
        if latest and not (record.tombstone and record.key is not None and drop_tombstones):
            kept.append(record)
        else:
            stats.records_removed += 1
            stats.tombstones_removed += latest
    if aborted:
        stats.records_removed += len(records)
    if len(kept) == len(records) and records:
        writer.keep(data)
    elif kept:
        payload = compress(b"".join(body[r.start : r.end] for r in kept), header.compression)
        writer.keep(encode_batch(dataclasses.replace(header, record_count=len(kept)), payload))
    elif key_map.is_last_of_producer(header):  # producer state (idempotence) needs it
        attributes = header.attributes & ~ATTR_COMPRESSION_MASK | COMPRESSION_NONE
        writer.keep(
            encode_batch(dataclasses.replace(header, attributes=attributes, record_count=0), b"")
        )
    else:
        stats.batches_dropped += header.record_count > 0 or header.producer_id >= 0
        writer.drop(header)
