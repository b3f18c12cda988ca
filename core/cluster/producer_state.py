"""Idempotent-producer state of one partition: epochs and the last five batches per producer.

Rules as Kafka applies them: a batch from a known producer and epoch must continue the
sequence (last_seq + 1, wrapping at 2^31) or repeat one of the last five batches, in
which case it is a duplicate answered with its original offsets; an older epoch is
fenced; a newer epoch starts over at sequence 0; an unknown producer is accepted at any
sequence. The state is rebuilt at startup from a snapshot plus the batch headers after it.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from core.cluster.errors import ClusterErrc, ClusterError
from core.model.batch import BatchHeader

BATCHES_REMEMBERED = 5  # Kafka's max.in.flight for idempotent producers
MAX_PRODUCERS = 10_000  # per partition; the least recently used is evicted beyond it


@dataclass(slots=True)
class ProducerEntry:
    epoch: int
    batches: deque = field(default_factory=lambda: deque(maxlen=BATCHES_REMEMBERED))
    # each: (first_seq, last_seq, base_offset, last_offset)


@dataclass(frozen=True, slots=True)
class Duplicate:
    base_offset: int
    last_offset: int


class ProducerStateTable:
    def __init__(self) -> None:
        self._producers: OrderedDict[int, ProducerEntry] = OrderedDict()
        self.applied_offset = 0  # one past the last batch reflected here

    def __len__(self) -> int:
        return len(self._producers)

    def check(self, header: BatchHeader) -> Duplicate | None:
        """Validate an idempotent batch before append. Duplicate => do not append."""
        pid = header.producer_id
        if pid < 0:
            return None
        entry = self._producers.get(pid)
        if entry is None:
            return None
        if header.producer_epoch < entry.epoch:
            raise ClusterError(
                ClusterErrc.invalid_producer_epoch,
                f"producer {pid} epoch {header.producer_epoch} < {entry.epoch}",
            )
        if header.producer_epoch > entry.epoch:
            if header.base_sequence != 0:
                raise ClusterError(
                    ClusterErrc.out_of_order_sequence,
                    f"producer {pid} new epoch must start at sequence 0",
                )
            return None
        for first_seq, last_seq, base, last in entry.batches:
            if first_seq == header.base_sequence and last_seq == header.last_sequence:
                return Duplicate(base, last)
        if entry.batches:
            expected = (entry.batches[-1][1] + 1) & 0x7FFFFFFF
            if header.base_sequence != expected:
                raise ClusterError(
                    ClusterErrc.out_of_order_sequence,
                    f"producer {pid} sequence {header.base_sequence}, expected {expected}",
                )
        return None

    def record(self, header: BatchHeader, base_offset: int, last_offset: int) -> None:
        """Remember a batch appended at [base_offset, last_offset]."""
        self.applied_offset = max(self.applied_offset, last_offset + 1)
        pid = header.producer_id
        if pid < 0:
            return
        entry = self._producers.get(pid)
        if entry is None or header.producer_epoch > entry.epoch:
            entry = ProducerEntry(epoch=header.producer_epoch)
            self._producers[pid] = entry
        self._producers.move_to_end(pid)
        entry.batches.append((header.base_sequence, header.last_sequence, base_offset, last_offset))
        while len(self._producers) > MAX_PRODUCERS:
            self._producers.popitem(last=False)

    def snapshot(self) -> dict:
        return {
            "applied_offset": self.applied_offset,
            "producers": [
                [pid, e.epoch, [list(b) for b in e.batches]] for pid, e in self._producers.items()
            ],
        }

    def load(self, snap: dict | None) -> None:
        self._producers.clear()
        if not snap:
            return
        self.applied_offset = snap.get("applied_offset", 0)
        for pid, epoch, batches in snap.get("producers", []):
            entry = ProducerEntry(epoch=epoch)
            entry.batches.extend(tuple(b) for b in batches)
            self._producers[pid] = entry

    def truncate_from(self, offset: int) -> None:
        """Forget batches at or after `offset` (suffix truncation of the log)."""
        for pid in list(self._producers):
            entry = self._producers[pid]
            kept = [b for b in entry.batches if b[3] < offset]
            entry.batches.clear()
            entry.batches.extend(kept)
        self.applied_offset = min(self.applied_offset, offset)
