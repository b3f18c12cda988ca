"""Key-based log compaction (cleanup.policy=compact) of a DiskLog's closed segments.

A pass has three steps, so that the event loop never reads or rewrites a segment:

1. `prepare` (loop thread, cheap: no file is read). Takes the compactible segments
   (closed, flushed, wholly below max_collectible_offset, a prefix of the log, never
   the active segment) and snapshots what the worker needs of each: base offset,
   term, next offset, size, max timestamp, paths, and a dup of its read fd, so the
   worker reads the very file it was shown even if the log deletes it meanwhile.
   Returns None when there is nothing to do: when the compactible range has not grown,
   no tombstone has come due and delete_retention_ms is unchanged since the last pass
   (kept in the partition kvstore).
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
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import os
import pathlib
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from core.model.batch import (
    ATTR_COMPRESSION_MASK,
    ATTR_TIMESTAMP_TYPE,
    HEADER_SIZE,
    LOG_OVERHEAD,
    BatchError,
    BatchHeader,
    batch_crc,
    parse_header,
    verify_crc,
)
from core.model.records import COMPRESSION_NONE, compress, decompress
from core.storage.fs import pread_exact, write_all
from core.storage.index import IndexSummary, SparseIndex
from core.storage.log import DiskLog
from core.storage.recovery import COMPACTION_TEMP_SUFFIX
from core.storage.scan import scan_segment
from core.storage.segment import Segment

STATE_KEY = "storage.compaction"
TEMP_NAME_SUFFIX = COMPACTION_TEMP_SUFFIX
DEFAULT_MAX_KEYS = 500_000  # about 60 MB of map at the most
MAX_RAW_KEY_BYTES = 16  # longer keys are mapped by a 20-byte digest
WRITE_BUFFER_BYTES = 1 << 20
_HEADER = struct.Struct(">qiibIhiqqqhii")
_CRC = struct.Struct(">I")
_CRC_AT = 17
_DELTA_MAX = 0x7FFFFFFF


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


@dataclass(frozen=True, slots=True)
class _Record:
    start: int  # in the decompressed records
    end: int
    offset_delta: int
    key: bytes | None
    tombstone: bool


# ---------------------------------------------------------------- entry points


def compact(log: DiskLog, *, now_ms: int, max_collectible_offset: int,
            delete_retention_ms: int, max_keys: int = DEFAULT_MAX_KEYS) -> CompactionStats:
    """One whole pass on the calling thread: prepare, rewrite, install."""
    plan = prepare(log, now_ms=now_ms, max_collectible_offset=max_collectible_offset,
                   delete_retention_ms=delete_retention_ms, max_keys=max_keys)
    if plan is None:
        state = log.kvstore.get(STATE_KEY) or {}
        return CompactionStats(skipped=True, mapped_end=state.get("mapped_end", -1))
    return install(log, rewrite(plan))


def prepare(log: DiskLog, *, now_ms: int, max_collectible_offset: int,
            delete_retention_ms: int, max_keys: int = DEFAULT_MAX_KEYS) -> CompactionPlan | None:
    """Loop thread: what a pass would compact, or None when it has nothing new to do."""
    assert not log.closed and max_keys > 0
    segments = tuple(log.compactible_segments(max_collectible_offset))
    if not segments:
        return None
    state = log.kvstore.get(STATE_KEY) or {}
    if _nothing_new(state, segments[-1].next_offset, now_ms, delete_retention_ms):
        return None
    snapshots: list[SegmentSnapshot] = []
    try:
        for segment in segments:
            snapshots.append(_snapshot(segment))
    except OSError:  # e.g. out of fds: the pass just does not happen now
        for snapshot in snapshots:
            os.close(snapshot.fd)
        raise
    return CompactionPlan(log.directory, tuple(snapshots), segments, now_ms, delete_retention_ms,
                          max_keys, log.config.index_interval_bytes, os.urandom(4).hex())


def rewrite(plan: CompactionPlan) -> CompactionResult:
    """Worker thread: map keys and write, fsync and index the rewritten segments'
    temporary files. Reads only the plan's own fds and closes them."""
    rewritten: list[SegmentRewrite] = []
    try:
        assert not plan._fds_closed, "a plan is rewritten once"
        key_map = _KeyMap.build(plan)
        for slot, snapshot in enumerate(plan.snapshots):
            if snapshot.base_offset >= key_map.end:
                break
            expired = _tombstones_expired(snapshot, plan.now_ms, plan.delete_retention_ms)
            if key_map.dead[slot] or (expired and key_map.live_tombstones[slot]):
                rewritten.append(_rewrite_segment(plan, snapshot, key_map, expired))
        state = {"mapped_end": key_map.end, "delete_retention_ms": plan.delete_retention_ms,
                 "tombstone_due_ms": _next_due_ms(plan, key_map)}
        return CompactionResult(plan, rewritten, len(key_map.latest), key_map.end, state)
    except BaseException:
        for done in rewritten:
            done.remove_temp_files()
        raise
    finally:
        plan.close()


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


def _snapshot(segment: Segment) -> SegmentSnapshot:
    assert segment.write_fd is None and not segment.deleted and segment.read_fd >= 0
    return SegmentSnapshot(segment.base_offset, segment.term, segment.next_offset,
                           segment.size_bytes, segment.max_timestamp_ms, segment.path,
                           segment.index_paths(), os.dup(segment.read_fd))


def _nothing_new(state: dict, end: int, now_ms: int, delete_retention_ms: int) -> bool:
    if not state or state.get("delete_retention_ms") != delete_retention_ms:
        return False
    due_ms = state.get("tombstone_due_ms")
    return end <= state["mapped_end"] and (due_ms is None or now_ms < due_ms)


def _tombstones_expired(snapshot: SegmentSnapshot, now_ms: int, delete_retention_ms: int) -> bool:
    if delete_retention_ms < 0:
        return False
    return now_ms >= snapshot.max_timestamp_ms + delete_retention_ms


def _next_due_ms(plan: CompactionPlan, key_map: _KeyMap) -> int | None:
    """When the earliest tombstone still kept may go (None: no such tombstone)."""
    if plan.delete_retention_ms < 0:
        return None
    due = [snapshot.max_timestamp_ms + plan.delete_retention_ms
           for slot, snapshot in enumerate(plan.snapshots)
           if snapshot.base_offset < key_map.end and key_map.live_tombstones[slot]]
    due = [due_ms for due_ms in due if due_ms > plan.now_ms]
    return min(due) if due else None


# ---------------------------------------------------------------- install


def _removed_since_prepare(log: DiskLog, result: CompactionResult) -> set[int] | None:
    """Base offsets of the mapped segments that retention or DeleteRecords deleted
    since `prepare` (a prefix: the rest still stand on their own), or None when one
    changed otherwise: a truncation or another pass may have removed records the key
    map counted as the latest of their keys, so no rewrite may be installed."""
    current = {segment.base_offset: segment
               for segment in log.compactible_segments(log.next_offset)}
    gone: set[int] = set()
    plan = result.plan
    for snapshot, segment in zip(plan.snapshots, plan.segments):
        if snapshot.base_offset >= result.mapped_end:
            break
        same = (current.get(snapshot.base_offset) is segment and not segment.deleted
                and (segment.size_bytes, segment.next_offset)
                == (snapshot.size_bytes, snapshot.next_offset))  # truncated, then closed again
        if same:
            continue
        if not (segment.deleted and snapshot.next_offset <= log.start_offset):
            return None
        gone.add(snapshot.base_offset)
    first_left = min(current, default=log.next_offset)
    assert all(base < first_left for base in gone), "what retention deletes is a prefix"
    return gone


def _swap(log: DiskLog, old: Segment, done: SegmentRewrite) -> None:
    """Put the rewritten file in the place of `old` (see the module docstring)."""
    temp_log, temp_index, temp_timeindex = done.temp_paths
    for path in old.index_paths():  # first: never an index of the other file
        path.unlink(missing_ok=True)
    os.replace(temp_log, old.path)
    new = Segment.open_existing(log.directory, old.base_offset, old.term,
                                done.index.interval_bytes)
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


# ---------------------------------------------------------------- reading batches


def _read_batches(snapshot: SegmentSnapshot, plan: CompactionPlan) -> Iterator[tuple[BatchHeader, bytes]]:
    """Every batch of a closed segment, CRC checked: bad bytes must not be re-CRCed."""
    position = 0
    for _ in range(snapshot.size_bytes // HEADER_SIZE + 1):
        if position == snapshot.size_bytes:
            return
        plan.check_cancelled()
        header = parse_header(pread_exact(snapshot.fd, HEADER_SIZE, position))
        if position + header.size_bytes > snapshot.size_bytes:
            raise BatchError(f"{snapshot.path}: batch at {position} ends past the segment")
        data = pread_exact(snapshot.fd, header.size_bytes, position)
        verify_crc(data, 0, header)
        yield header, data
        position += header.size_bytes
    raise AssertionError(f"{snapshot.path}: batches do not end at the file size")


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    """The zig-zag varint at `pos` and the position after it."""
    raw = 0
    for index, byte in enumerate(buf[pos : pos + 10]):
        raw |= (byte & 0x7F) << (7 * index)
        if byte < 0x80:
            return (raw >> 1) ^ -(raw & 1), pos + index + 1
    raise BatchError("bad varint in a record")


def _records(header: BatchHeader, data: bytes) -> tuple[bytes, list[_Record]]:
    """(decompressed records, where each record is and what compaction needs of it)."""
    body = decompress(data[HEADER_SIZE:], header.compression)
    found: list[_Record] = []
    position = 0
    for _ in range(header.record_count):
        length, start = _varint(body, position)
        end = start + length
        if length < 1 or end > len(body):
            raise BatchError(f"bad record length {length} at offset {header.base_offset}")
        _, cursor = _varint(body, start + 1)  # after the attributes: timestampDelta
        offset_delta, cursor = _varint(body, cursor)
        key_length, cursor = _varint(body, cursor)
        key = body[cursor : cursor + key_length] if key_length >= 0 else None
        value_length, _ = _varint(body, cursor + max(key_length, 0))
        found.append(_Record(position, end, offset_delta, key, value_length < 0))
        position = end
    if position != len(body):
        raise BatchError(f"{len(body) - position} bytes after the records of {header.base_offset}")
    return body, found


def _map_key(key: bytes) -> bytes:
    """The key itself when short, else a digest: map memory per key stays bounded."""
    if len(key) <= MAX_RAW_KEY_BYTES:
        return key
    return hashlib.blake2b(key, digest_size=20).digest()


# ---------------------------------------------------------------- key map


class _KeyMap:
    """Key -> latest offset (~offset for a tombstone) over the segments' first `end`
    offsets, with per segment the superseded records and the latest tombstones, and
    per producer id the base offset of its last data batch."""

    def __init__(self, snapshots: tuple[SegmentSnapshot, ...]) -> None:
        self.latest: dict[bytes, int] = {}
        self.last_batch: dict[int, int] = {}
        self.bases = [snapshot.base_offset for snapshot in snapshots]
        self.dead = [0] * len(snapshots)
        self.live_tombstones = [0] * len(snapshots)
        self.end = snapshots[0].base_offset

    @classmethod
    def build(cls, plan: CompactionPlan) -> _KeyMap:
        key_map = cls(plan.snapshots)
        for slot, snapshot in enumerate(plan.snapshots):
            for header, data in _read_batches(snapshot, plan):
                if not header.is_control:
                    _, records = _records(header, data)
                    if key_map.full(len(records), plan.max_keys):
                        return key_map  # the pass stops before this batch
                    key_map.add(header.base_offset, records, slot)
                    if header.producer_id >= 0:
                        key_map.last_batch[header.producer_id] = header.base_offset
                key_map.end = header.last_offset + 1
        assert key_map.end == plan.snapshots[-1].next_offset
        return key_map

    def full(self, more: int, max_keys: int) -> bool:
        held = len(self.latest) + len(self.last_batch)
        return held > 0 and held + more > max_keys

    def add(self, base_offset: int, records: list[_Record], slot: int) -> None:
        for record in records:
            if record.key is None:
                continue
            offset = base_offset + record.offset_delta
            previous = self.latest.get(_map_key(record.key))
            if previous is not None:
                old_slot = bisect.bisect_right(self.bases, _decoded(previous)) - 1
                self.dead[old_slot] += 1
                self.live_tombstones[old_slot] -= previous < 0
            self.latest[_map_key(record.key)] = ~offset if record.tombstone else offset
            self.live_tombstones[slot] += record.tombstone

    def is_latest(self, record: _Record, offset: int) -> bool:
        assert record.key is not None and offset < self.end
        return _decoded(self.latest[_map_key(record.key)]) == offset

    def is_last_of_producer(self, header: BatchHeader) -> bool:
        return header.producer_id >= 0 and self.last_batch.get(header.producer_id) == header.base_offset


def _decoded(entry: int) -> int:
    return ~entry if entry < 0 else entry


# ---------------------------------------------------------------- rewriting


def _temp_paths(plan: CompactionPlan, snapshot: SegmentSnapshot
                ) -> tuple[pathlib.Path, pathlib.Path, pathlib.Path]:
    suffix = f".{plan.token}{TEMP_NAME_SUFFIX}"
    offset_path, time_path = snapshot.index_paths
    return tuple(path.with_name(path.name + suffix)  # type: ignore[return-value]
                 for path in (snapshot.path, offset_path, time_path))


def _rewrite_segment(plan: CompactionPlan, snapshot: SegmentSnapshot, key_map: _KeyMap,
                     drop_tombstones: bool) -> SegmentRewrite:
    temp_paths = _temp_paths(plan, snapshot)
    stats = CompactionStats(segments_rewritten=1, bytes_before=snapshot.size_bytes)  # if installed
    try:
        with _SegmentWriter(temp_paths[0], snapshot.term) as writer:
            for header, data in _read_batches(snapshot, plan):
                if header.is_control or header.base_offset >= key_map.end:
                    writer.keep(data)
                else:
                    _filter_batch(header, data, key_map, drop_tombstones, writer, stats)
        done = _index_rewritten(plan, snapshot, temp_paths, stats)
    except BaseException:
        for path in temp_paths:
            path.unlink(missing_ok=True)
        raise
    return done


def _index_rewritten(plan: CompactionPlan, snapshot: SegmentSnapshot,
                     temp_paths: tuple[pathlib.Path, pathlib.Path, pathlib.Path],
                     stats: CompactionStats) -> SegmentRewrite:
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
        snapshot.next_offset, snapshot.max_timestamp_ms), temp_paths[0]
    index.write(temp_paths[1], temp_paths[2],
                IndexSummary(scan.next_offset, scan.max_timestamp_ms, size_bytes))
    stats.bytes_after = size_bytes
    return SegmentRewrite(snapshot, temp_paths, index, size_bytes,
                          scan.first_max_timestamp_ms, stats)


def _filter_batch(header: BatchHeader, data: bytes, key_map: _KeyMap, drop_tombstones: bool,
                  writer: _SegmentWriter, stats: CompactionStats) -> None:
    body, records = _records(header, data)
    kept = []
    for record in records:
        offset = header.base_offset + record.offset_delta
        latest = record.key is None or key_map.is_latest(record, offset)
        if latest and not (record.tombstone and record.key is not None and drop_tombstones):
            kept.append(record)
        else:
            stats.records_removed += 1
            stats.tombstones_removed += latest
    if len(kept) == len(records) and records:
        writer.keep(data)
    elif kept:
        payload = compress(b"".join(body[r.start : r.end] for r in kept), header.compression)
        writer.keep(_encode(dataclasses.replace(header, record_count=len(kept)), payload))
    elif key_map.is_last_of_producer(header):  # producer state (idempotence) needs it
        attributes = header.attributes & ~ATTR_COMPRESSION_MASK | COMPRESSION_NONE
        writer.keep(_encode(dataclasses.replace(header, attributes=attributes, record_count=0), b""))
    else:
        stats.batches_dropped += header.record_count > 0 or header.producer_id >= 0
        writer.drop(header)


def _encode(header: BatchHeader, payload: bytes) -> bytes:
    """`header` with `payload` after it: batchLength and CRC recomputed."""
    batch = bytearray(HEADER_SIZE + len(payload))
    sized = dataclasses.replace(header, batch_length=HEADER_SIZE - LOG_OVERHEAD + len(payload))
    _HEADER.pack_into(batch, 0, *dataclasses.astuple(sized))
    batch[HEADER_SIZE:] = payload
    _CRC.pack_into(batch, _CRC_AT, batch_crc(batch, 0, len(batch)))
    return bytes(batch)


def _gap_batch(first: int, last: int, term: int, max_timestamp_ms: int, attributes: int) -> bytes:
    header = BatchHeader(first, 0, term, 2, 0, attributes, last - first, max_timestamp_ms,
                         max_timestamp_ms, -1, -1, -1, 0)
    return _encode(header, b"")


class _SegmentWriter:
    """Buffered writes of a rewritten segment to a new temporary file; runs of dropped
    batches become gap batches; fsynced on a clean exit, removed on an error."""

    def __init__(self, path: pathlib.Path, term: int) -> None:
        self.path = path
        self.term = term
        self.buffer = bytearray()
        self.gap: list[int] | None = None  # [first, last, max timestamp, attributes]
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)

    def __enter__(self) -> _SegmentWriter:
        return self

    def keep(self, batch: bytes) -> None:
        self._end_gap()
        self.buffer += batch
        if len(self.buffer) >= WRITE_BUFFER_BYTES:
            write_all(self.fd, self.buffer)
            self.buffer.clear()

    def drop(self, header: BatchHeader) -> None:
        if self.gap is None:
            self.gap = [header.base_offset, header.base_offset - 1, header.max_timestamp,
                        header.attributes & ATTR_TIMESTAMP_TYPE]
        assert self.gap[1] + 1 == header.base_offset, (self.gap, header.base_offset)
        self.gap[1] = header.last_offset
        self.gap[2] = max(self.gap[2], header.max_timestamp)

    def _end_gap(self) -> None:
        if self.gap is None:
            return
        first, last, max_timestamp_ms, attributes = self.gap
        self.gap = None
        for _ in range((last - first) // _DELTA_MAX + 1):  # lastOffsetDelta is an int32
            if first > last:
                break
            chunk_last = min(last, first + _DELTA_MAX)
            self.buffer += _gap_batch(first, chunk_last, self.term, max_timestamp_ms, attributes)
            first = chunk_last + 1

    def __exit__(self, error_type: type | None, *_: object) -> None:
        try:
            if error_type is None:
                self._end_gap()
                write_all(self.fd, self.buffer)
                os.fsync(self.fd)
        finally:
            os.close(self.fd)
            if error_type is not None:
                self.path.unlink(missing_ok=True)
