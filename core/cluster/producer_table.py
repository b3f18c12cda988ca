"""The producer table of one replica: per producer its epoch, its last five batches
(sequence ranges and offsets), its coordinator epoch and last timestamp, plus the open
transactions (core.cluster.txn_state.OpenTxns). core.cluster.producer_state explains the
rules and keeps the replica's tables (committed state, the leader's view)."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.txn_state import OpenTxns, TxnError
from core.model.batch import BatchHeader
from core.model.control import Marker
from core.protocol.errors import ErrorCode

BATCHES_REMEMBERED = 5  # Kafka's max.in.flight for idempotent producers
MAX_PRODUCERS = 10_000  # per partition; the least recently used is evicted beyond it

Batch = tuple[int, int, int, int]  # (first_seq, last_seq, base_offset, last_offset)
# what a batch is to the transaction state: False (not transactional), True (transactional
# data), the Marker of a control batch, or None (a control batch of another type: skipped)
Kind = bool | Marker | None
# an aborted transaction completed: (producer id, first offset, marker offset, LSO after it)
AbortListener = Callable[[int, int, int, int], None]


def kind_of(header: BatchHeader, marker: Marker | None) -> Kind:
    return marker if header.is_control else header.is_transactional


@dataclass(slots=True)
class ProducerEntry:
    epoch: int
    batches: deque = field(default_factory=lambda: deque(maxlen=BATCHES_REMEMBERED))
    # each: (first_seq, last_seq, base_offset, last_offset)
    coordinator_epoch: int = -1
    last_timestamp: int = -1


@dataclass(frozen=True, slots=True)
class ProducerInfo:
    """One producer as DescribeProducers shows it."""

    producer_id: int
    producer_epoch: int
    last_sequence: int
    last_timestamp: int
    coordinator_epoch: int
    current_txn_start_offset: int


@dataclass(frozen=True, slots=True)
class Duplicate:
    base_offset: int
    last_offset: int


class ProducerStateTable:
    def __init__(self) -> None:
        self._producers: OrderedDict[int, ProducerEntry] = OrderedDict()
        self.applied_offset = 0  # one past the last batch reflected here
        self.ongoing = OpenTxns()
        self.on_abort: AbortListener | None = None  # set on a replica's committed table only

    def __len__(self) -> int:
        return len(self._producers)

    def epoch_of(self, producer_id: int) -> int | None:
        entry = self._producers.get(producer_id)
        return None if entry is None else entry.epoch

    def check(self, header: BatchHeader) -> Duplicate | None:
        """Validate an idempotent batch before append. Duplicate => do not append."""
        pid = header.producer_id
        if pid < 0:
            return None
        entry = self._producers.get(pid)
        if entry is None:
            self._check_txn(header)
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
            self._check_txn(header)
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
        self._check_txn(header)
        return None

    def _check_txn(self, header: BatchHeader) -> None:
        if not header.is_transactional and header.producer_id in self.ongoing:
            raise TxnError(
                ErrorCode.invalid_txn_state,
                f"expected a transactional write from producer {header.producer_id}: "
                f"its transaction from offset {self.ongoing.get(header.producer_id)} is open",
            )

    def record(
        self, header: BatchHeader, base_offset: int, last_offset: int, marker: Marker | None = None
    ) -> None:
        """Remember a batch appended at [base_offset, last_offset] (with its marker if any)."""
        pid = header.producer_id
        if pid < 0:
            if last_offset >= self.applied_offset:
                self.applied_offset = last_offset + 1
            return
        batch = (header.base_sequence, header.last_sequence, base_offset, last_offset)
        kind = kind_of(header, marker)
        self.apply(pid, header.producer_epoch, batch, kind, header.max_timestamp)

    def apply(self, pid: int, epoch: int, batch: Batch, kind: Kind, timestamp: int) -> None:
        """Apply one batch of a producer (data or marker, see `Kind`)."""
        if isinstance(kind, Marker):
            self.end_txn(pid, epoch, kind, batch[3], timestamp)
        elif kind is None:  # a control batch of another type
            self.applied_offset = max(self.applied_offset, batch[3] + 1)
        else:
            self.add(pid, epoch, batch, timestamp)
            if kind:
                self.ongoing.open(pid, batch[2])

    def add(self, pid: int, epoch: int, batch: Batch, timestamp: int = -1) -> None:
        """Remember an idempotent batch (first_seq, last_seq, base_offset, last_offset)."""
        if batch[3] >= self.applied_offset:
            self.applied_offset = batch[3] + 1
        entry = self._entry(pid, epoch)
        entry.batches.append(batch)
        entry.last_timestamp = timestamp

    def end_txn(self, pid: int, epoch: int, marker: Marker, offset: int, timestamp: int) -> None:
        """A COMMIT/ABORT marker at `offset` for the producer's open transaction."""
        if offset >= self.applied_offset:
            self.applied_offset = offset + 1
        entry = self._entry(pid, epoch)
        entry.coordinator_epoch = marker.coordinator_epoch
        entry.last_timestamp = timestamp
        first = self.ongoing.close(pid)
        if first is not None and not marker.commit and self.on_abort is not None:
            oldest = self.ongoing.first()
            lso = offset + 1 if oldest is None else min(oldest, offset + 1)
            self.on_abort(pid, first, offset, lso)

    def _entry(self, pid: int, epoch: int) -> ProducerEntry:
        producers = self._producers
        entry = producers.get(pid)
        if entry is None or epoch > entry.epoch:
            coordinator_epoch = -1 if entry is None else entry.coordinator_epoch
            entry = ProducerEntry(epoch=epoch, coordinator_epoch=coordinator_epoch)
            producers[pid] = entry
        producers.move_to_end(pid)
        if len(producers) > MAX_PRODUCERS:
            self._evict()
        return entry

    def _evict(self) -> None:
        """Drop the least recently used producer without an open transaction."""
        for pid in self._producers:
            if pid not in self.ongoing:
                del self._producers[pid]
                return

    def coordinator_epoch_of(self, producer_id: int) -> int:
        entry = self._producers.get(producer_id)
        return -1 if entry is None else entry.coordinator_epoch

    def describe(self) -> list[ProducerInfo]:
        """Every producer known here (DescribeProducers), with its open transaction."""
        out = []
        for pid, e in self._producers.items():
            last_seq = e.batches[-1][1] if e.batches else -1
            out.append(
                ProducerInfo(
                    pid,
                    e.epoch,
                    last_seq,
                    e.last_timestamp,
                    e.coordinator_epoch,
                    self.ongoing.get(pid),
                )  # fmt: skip
            )
        return out

    def clone(self) -> ProducerStateTable:
        copy = ProducerStateTable()
        copy.applied_offset = self.applied_offset
        for pid, e in self._producers.items():
            copy._producers[pid] = ProducerEntry(
                e.epoch, deque(e.batches, BATCHES_REMEMBERED), e.coordinator_epoch,
                e.last_timestamp,
            )  # fmt: skip
        copy.ongoing = self.ongoing.copy()
        return copy

    def snapshot(self) -> dict:
        return {
            "applied_offset": self.applied_offset,
            "producers": [
                [pid, e.epoch, [list(b) for b in e.batches]] for pid, e in self._producers.items()
            ],
            "producer_meta": [
                [pid, e.coordinator_epoch, e.last_timestamp] for pid, e in self._producers.items()
            ],
            "ongoing": [[pid, first] for pid, first in self.ongoing.items()],
        }

    def load(self, snap: dict | None) -> None:
        self._producers.clear()
        self.ongoing.clear()
        self.applied_offset = 0
        if not snap:
            return
        self.applied_offset = snap.get("applied_offset", 0)
        for pid, epoch, batches in snap.get("producers", []):
            entry = ProducerEntry(epoch=epoch)
            entry.batches.extend(tuple(b) for b in batches)
            self._producers[pid] = entry
        for pid, coordinator_epoch, last_timestamp in snap.get("producer_meta", []):
            known = self._producers.get(pid)
            if known is not None:
                known.coordinator_epoch, known.last_timestamp = coordinator_epoch, last_timestamp
        for pid, first in snap.get("ongoing", []):
            self.ongoing.open(pid, first)
