"""The key map a rewrite works from: every record key of the mapped range to its latest
offset, bounded in size, with what each segment would lose."""

from __future__ import annotations

import bisect
import hashlib

from core.model.batch import BatchHeader
from core.storage.compaction.batches import RecordSpan, parse_records, read_batches
from core.storage.compaction.plan import CompactionPlan, SegmentSnapshot

MAX_RAW_KEY_BYTES = 16  # longer keys are mapped by a 20-byte digest


class KeyMap:
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
    def build(cls, plan: CompactionPlan) -> KeyMap:
        key_map = cls(plan.snapshots)
        for slot, snapshot in enumerate(plan.snapshots):
            for header, data in read_batches(snapshot, plan):
                if not header.is_control:
                    _, records = parse_records(header, data)
                    if key_map.full(len(records), plan.max_keys):
                        return key_map  # the pass stops before this batch
                    if plan.aborted.holds(header):
                        key_map.dead[slot] += len(records)  # dropped, never a key's latest
                    else:
                        key_map.add(header.base_offset, records, slot)
                    if header.producer_id >= 0:
                        key_map.last_batch[header.producer_id] = header.base_offset
                key_map.end = header.last_offset + 1
        assert key_map.end == plan.snapshots[-1].next_offset
        return key_map

    def full(self, more: int, max_keys: int) -> bool:
        held = len(self.latest) + len(self.last_batch)
        return held > 0 and held + more > max_keys

    def add(self, base_offset: int, records: list[RecordSpan], slot: int) -> None:
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

    def is_latest(self, record: RecordSpan, offset: int) -> bool:
        assert record.key is not None and offset < self.end
        return _decoded(self.latest[_map_key(record.key)]) == offset

    def is_last_of_producer(self, header: BatchHeader) -> bool:
        return (
            header.producer_id >= 0
            and self.last_batch.get(header.producer_id) == header.base_offset
        )


def _map_key(key: bytes) -> bytes:
    """The key itself when short, else a digest: map memory per key stays bounded."""
    if len(key) <= MAX_RAW_KEY_BYTES:
        return key
    return hashlib.blake2b(key, digest_size=20).digest()


def _decoded(entry: int) -> int:
    return ~entry if entry < 0 else entry
