"""Key-based log compaction (cleanup.policy=compact) of a DiskLog's closed segments.

One pass (`compact`):
1. Take the compactible segments: closed, flushed, wholly below max_collectible_offset,
   a prefix of the log (never the active segment).
2. Map every record key of that range to its latest offset (a bounded map: when it is
   full the pass stops at a batch boundary, `mapped_end`; what follows is copied as is).
   Mapping counts, per segment, the records a later one supersedes and the tombstones
   that are still the latest of their key, so a segment with nothing to drop is not
   rewritten and a second pass over an unchanged log writes nothing.
3. Rewrite each segment that has something to drop into a temporary file beside it:
   per key only the latest record survives; null-key records stay; a tombstone (null
   value) stays until `delete_retention_ms` after its segment's max timestamp (negative:
   forever); control batches are copied as they are. Kept records are copied byte for
   byte, so offsets and timestamps do not change; a rewritten batch keeps its header
   (baseOffset, lastOffsetDelta, timestamps, producer id/epoch/base sequence, timestamp
   type, term), gets the kept records recompressed with its codec and a new CRC.
   A batch left without records stays as an empty batch when it carries producer state
   (producer_id >= 0). Other emptied batches are dropped, and each run of them becomes
   one empty *gap* batch (producer_id -1, no records) spanning the run's offsets: the
   segment keeps contiguous offsets and its next offset, which recovery checks (it cuts
   a log at an offset gap), and a consumer skips it as any empty batch (KAFKA-17076
   keeps the last batch of a cleaned segment for the same reason).
4. Swap: fsync the file, remove the old index files, rename over the segment's name,
   fsync the directory, rescan the new file (CRC) to rebuild its index, and let the log
   bury the old segment: its read fd stays open file_delete_delay_ms for readers.
   A crash leaves the old or the new file under the name, never a mix; a leftover
   temporary file is ignored by recovery (its name is no segment's) and removed here.

When the compactible range has not grown, no tombstone has come due and
delete_retention_ms is unchanged since the last pass (kept in the partition kvstore),
the pass does nothing without reading the log.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import os
import pathlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from core.model.batch import (
    ATTR_COMPRESSION_MASK,
    ATTR_TIMESTAMP_TYPE,
    HEADER_SIZE,
    LOG_OVERHEAD,
    BatchError,
    BatchHeader,
    batch_crc,
    verify_crc,
)
from core.model.records import COMPRESSION_NONE, compress, decompress
from core.storage.fs import TEMP_SUFFIX, fsync_directory, pread_exact, write_all
from core.storage.log import DiskLog
from core.storage.segment import Segment

STATE_KEY = "storage.compaction"
TEMP_NAME_SUFFIX = ".compaction" + TEMP_SUFFIX
DEFAULT_MAX_KEYS = 500_000  # about 60 MB of map at the most
MAX_RAW_KEY_BYTES = 16  # longer keys are mapped by a 20-byte digest
WRITE_BUFFER_BYTES = 1 << 20
_HEADER = struct.Struct(">qiibIhiqqqhii")
_CRC = struct.Struct(">I")
_CRC_AT = 17
_DELTA_MAX = 0x7FFFFFFF


@dataclass
class CompactionStats:
    segments_rewritten: int = 0
    records_removed: int = 0  # superseded records and expired tombstones
    tombstones_removed: int = 0  # of records_removed: tombstones past delete_retention_ms
    batches_dropped: int = 0  # emptied batches without producer state
    bytes_before: int = 0  # of the rewritten segments
    bytes_after: int = 0
    keys: int = 0
    mapped_end: int = -1  # the key map covers every record below this offset
    skipped: bool = False  # nothing new since the last pass: the log was not read


@dataclass(frozen=True, slots=True)
class _Record:
    start: int  # in the decompressed records
    end: int
    offset_delta: int
    key: bytes | None
    tombstone: bool


# ---------------------------------------------------------------- entry point


def compact(log: DiskLog, *, now_ms: int, max_collectible_offset: int,
            delete_retention_ms: int, max_keys: int = DEFAULT_MAX_KEYS) -> CompactionStats:
    """One compaction pass over the closed segments below max_collectible_offset."""
    assert not log.closed and max_keys > 0
    _remove_leftovers(log.directory)
    segments = log.compactible_segments(max_collectible_offset)
    if not segments:
        return CompactionStats(skipped=True)
    state = log.kvstore.get(STATE_KEY) or {}
    if _nothing_new(state, segments[-1].next_offset, now_ms, delete_retention_ms):
        return CompactionStats(skipped=True, mapped_end=state["mapped_end"])
    key_map = _KeyMap.build(segments, max_keys)
    stats = CompactionStats(keys=len(key_map.latest), mapped_end=key_map.end)
    for slot, segment in enumerate(segments):
        if segment.base_offset >= key_map.end:
            break
        expired = _tombstones_expired(segment, now_ms, delete_retention_ms)
        if key_map.dead[slot] or (expired and key_map.live_tombstones[slot]):
            _replace(log, segment, key_map, expired, stats)
    log.kvstore.put(STATE_KEY, {
        "mapped_end": key_map.end, "delete_retention_ms": delete_retention_ms,
        "tombstone_due_ms": _next_due_ms(segments, key_map, now_ms, delete_retention_ms)})
    return stats


def _nothing_new(state: dict, end: int, now_ms: int, delete_retention_ms: int) -> bool:
    if not state or state.get("delete_retention_ms") != delete_retention_ms:
        return False
    due_ms = state.get("tombstone_due_ms")
    return end <= state["mapped_end"] and (due_ms is None or now_ms < due_ms)


def _tombstones_expired(segment: Segment, now_ms: int, delete_retention_ms: int) -> bool:
    if delete_retention_ms < 0:
        return False
    return now_ms >= segment.max_timestamp_ms + delete_retention_ms


def _next_due_ms(segments: list[Segment], key_map: _KeyMap, now_ms: int,
                 delete_retention_ms: int) -> int | None:
    """When the earliest tombstone still kept may go (None: no such tombstone)."""
    if delete_retention_ms < 0:
        return None
    due = [segment.max_timestamp_ms + delete_retention_ms
           for slot, segment in enumerate(segments)
           if segment.base_offset < key_map.end and key_map.live_tombstones[slot]]
    due = [due_ms for due_ms in due if due_ms > now_ms]
    return min(due) if due else None


def _remove_leftovers(directory: pathlib.Path) -> None:
    """Temporary files of a pass a crash interrupted (recovery ignores them)."""
    for path in directory.glob("*" + TEMP_NAME_SUFFIX):
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------- reading batches


def _read_batches(segment: Segment) -> Iterator[tuple[BatchHeader, bytes]]:
    """Every batch of a closed segment, CRC checked: bad bytes must not be re-CRCed."""
    position = 0
    for _ in range(segment.size_bytes // HEADER_SIZE + 1):
        if position == segment.size_bytes:
            return
        header = segment.peek_header(position)
        data = pread_exact(segment.read_fd, header.size_bytes, position)
        verify_crc(data, 0, header)
        yield header, data
        position += header.size_bytes
    raise AssertionError(f"{segment.path}: batches do not end at the file size")


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
    offsets, with per segment the superseded records and the latest tombstones."""

    def __init__(self, segments: list[Segment]) -> None:
        self.latest: dict[bytes, int] = {}
        self.bases = [segment.base_offset for segment in segments]
        self.dead = [0] * len(segments)
        self.live_tombstones = [0] * len(segments)
        self.end = segments[0].base_offset

    @classmethod
    def build(cls, segments: list[Segment], max_keys: int) -> _KeyMap:
        key_map = cls(segments)
        for slot, segment in enumerate(segments):
            for header, data in _read_batches(segment):
                if not header.is_control:
                    _, records = _records(header, data)
                    if len(key_map.latest) + len(records) > max_keys and key_map.latest:
                        return key_map  # full: the pass stops before this batch
                    key_map.add(header.base_offset, records, slot)
                key_map.end = header.last_offset + 1
        assert key_map.end == segments[-1].next_offset
        return key_map

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


def _decoded(entry: int) -> int:
    return ~entry if entry < 0 else entry


# ---------------------------------------------------------------- rewriting


def _replace(log: DiskLog, segment: Segment, key_map: _KeyMap, drop_tombstones: bool,
             stats: CompactionStats) -> None:
    temp = segment.path.with_name(segment.path.name + TEMP_NAME_SUFFIX)
    with _SegmentWriter(temp, segment.term) as writer:
        for header, data in _read_batches(segment):
            if header.is_control or header.base_offset >= key_map.end:
                writer.keep(data)
            else:
                _filter_batch(header, data, key_map, drop_tombstones, writer, stats)
    for path in segment.index_paths():  # before the rename: no index of the wrong file
        path.unlink(missing_ok=True)
    fsync_directory(log.directory)
    os.replace(temp, segment.path)
    fsync_directory(log.directory)
    new = Segment.open_existing(log.directory, segment.base_offset, segment.term,
                                log.config.index_interval_bytes)
    problem = new.recover().problem  # a full CRC scan of the new file builds its index
    assert problem is None, (new.path, problem)
    assert new.max_timestamp_ms == segment.max_timestamp_ms, new.path
    new.write_index()
    fsync_directory(log.directory)
    stats.segments_rewritten += 1
    stats.bytes_before += segment.size_bytes
    stats.bytes_after += new.size_bytes
    log.swap_segment(segment, new)


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
    elif header.producer_id >= 0:  # producer state (idempotence) needs the batch
        attributes = header.attributes & ~ATTR_COMPRESSION_MASK | COMPRESSION_NONE
        writer.keep(_encode(dataclasses.replace(header, attributes=attributes, record_count=0), b""))
    else:
        stats.batches_dropped += header.record_count > 0  # not an earlier gap batch
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
    """Buffered writes of a rewritten segment to a temporary file; runs of dropped
    batches become gap batches; fsynced on a clean exit, removed on an error."""

    def __init__(self, path: pathlib.Path, term: int) -> None:
        self.path = path
        self.term = term
        self.buffer = bytearray()
        self.gap: list[int] | None = None  # [first, last, max timestamp, attributes]
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)

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
