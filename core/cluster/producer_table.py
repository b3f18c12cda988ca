"""The producer table of one replica: per producer its epoch, its last five batches
(sequence ranges and offsets), its coordinator epoch and last timestamp, plus the open
transactions (core.cluster.txn_state.OpenTxns). core.cluster.producer_state explains the
rules and keeps the replica's tables (committed state, the leader's view).

Expiry (Kafka's producer.id.expiration.ms; Redpanda's transactional_id_expiration_ms, which
its producer_state_manager applies to partition producers too): a producer without an open
transaction whose last batch is `limits.expiration_ms` older than the table's clock is
forgotten. The clock is the log's, not a replica's: the largest batch timestamp applied
(`clock_ms`), so every replica applying the same batches in the same order forgets the same
producers at the same offset, and a restart (the clock is in snapshots) agrees too. Sweeps
run when the clock crosses a multiple of `sweep_period_ms` (deterministic again), and never
forget the producer of the batch being applied. Beyond `limits.max_producers`
(max_concurrent_producer_ids; at most MAX_PRODUCERS) the least recently used producer
without an open transaction is evicted, in log order as well.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.txn_state import OpenTxns, TxnError
from core.model.batch import BatchHeader
from core.model.control import Marker
from core.protocol.errors import ErrorCode

BATCHES_REMEMBERED = 5  # Kafka's max.in.flight for idempotent producers
MAX_PRODUCERS = 10_000  # per partition; the least recently used is evicted beyond it
DEFAULT_EXPIRATION_MS = 7 * 24 * 3600 * 1000  # Redpanda's transactional_id_expiration_ms
SWEEP_PERIOD_MAX_MS = 60_000  # of log time between two expiry sweeps (at most)

# the persisted dict form (`snapshot`): 2 adds the clock and may name offsets past the local
# log end (a snapshot installed from the leader: core.cluster.producer_state)
SNAPSHOT_VERSION = 2

Batch = tuple[int, int, int, int]  # (first_seq, last_seq, base_offset, last_offset)
# what a batch is to the transaction state: False (not transactional), True (transactional
# data), the Marker of a control batch, or None (a control batch of another type: skipped)
Kind = bool | Marker | None
# an aborted transaction completed: (producer id, first offset, marker offset, LSO after it)
AbortListener = Callable[[int, int, int, int], None]


def kind_of(header: BatchHeader, marker: Marker | None) -> Kind:
    return marker if header.is_control else header.is_transactional


@dataclass(slots=True)
class ProducerLimits:
    """Shared by a replica's tables (core.cluster.producer_state.ReplicaProducers.configure)."""

    expiration_ms: int = DEFAULT_EXPIRATION_MS
    max_producers: int = MAX_PRODUCERS

    @property
    def sweep_period_ms(self) -> int:
        return max(1, min(self.expiration_ms, SWEEP_PERIOD_MAX_MS))


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
    def __init__(self, limits: ProducerLimits | None = None) -> None:
        self._producers: OrderedDict[int, ProducerEntry] = OrderedDict()
        self.applied_offset = 0  # one past the last batch reflected here
        self.clock_ms = -1  # the largest batch timestamp applied (the log's clock: expiry)
        self.sweep_at_ms = -1  # the next multiple of the sweep period past it (-1: unknown)
        self.limits = limits if limits is not None else ProducerLimits()
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
        if timestamp >= self.sweep_at_ms:  # the hot path: one comparison
            self._advance_clock(timestamp, pid)
        elif timestamp > self.clock_ms:
            self.clock_ms = timestamp

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
        self._advance_clock(timestamp, pid)

    def _advance_clock(self, timestamp: int, current: int) -> None:
        """Sweep when the clock crosses a multiple of the sweep period (or first moves)."""
        old = self.clock_ms
        period = self.limits.sweep_period_ms
        if timestamp > old:
            self.clock_ms = timestamp
            if old < 0 or timestamp // period != old // period:
                self.expire(current)
        self.sweep_at_ms = (self.clock_ms // period + 1) * period

    def expire(self, keep: int = -1) -> int:
        """Forget the producers idle for `limits.expiration_ms` of log time, except those
        with an open transaction and `keep`; returns how many."""
        horizon = self.clock_ms - self.limits.expiration_ms
        doomed = [
            pid
            for pid, e in self._producers.items()
            if e.last_timestamp <= horizon and pid != keep and pid not in self.ongoing
        ]
        for pid in doomed:
            del self._producers[pid]
        return len(doomed)

    def _entry(self, pid: int, epoch: int) -> ProducerEntry:
        producers = self._producers
        entry = producers.get(pid)
        if entry is None or epoch > entry.epoch:
            coordinator_epoch = -1 if entry is None else entry.coordinator_epoch
            entry = ProducerEntry(epoch=epoch, coordinator_epoch=coordinator_epoch)
            producers[pid] = entry
        producers.move_to_end(pid)
        if len(producers) > MAX_PRODUCERS or len(producers) > self.limits.max_producers:
            self._evict(pid)
        return entry

    def _evict(self, keep: int) -> None:
        """Drop the least recently used producers without an open transaction (never `keep`)
        until the table is within its limit."""
        limit = min(self.limits.max_producers, MAX_PRODUCERS)
        doomed: list[int] = []
        excess = len(self._producers) - limit
        for pid in self._producers:
            if excess <= len(doomed):
                break
            if pid not in self.ongoing and pid != keep:
                doomed.append(pid)
        for pid in doomed:
            del self._producers[pid]

    # ---- snapshots (core.cluster.producer_snapshot encodes them) ------------------------------
    def entries(self) -> Iterator[tuple[int, ProducerEntry]]:
        return iter(self._producers.items())

    def restore(self, pid: int, entry: ProducerEntry) -> None:
        """Put a producer back (a snapshot's, in its order: least recently used first)."""
        self._producers[pid] = entry

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
        copy = ProducerStateTable(self.limits)
        copy.applied_offset = self.applied_offset
        copy.clock_ms, copy.sweep_at_ms = self.clock_ms, self.sweep_at_ms
        for pid, e in self._producers.items():
            copy._producers[pid] = ProducerEntry(
                e.epoch, deque(e.batches, BATCHES_REMEMBERED), e.coordinator_epoch,
                e.last_timestamp,
            )  # fmt: skip
        copy.ongoing = self.ongoing.copy()
        return copy

    def snapshot(self) -> dict:
        return {
            "version": SNAPSHOT_VERSION,
            "applied_offset": self.applied_offset,
            "clock_ms": self.clock_ms,
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
        self.clock_ms = self.sweep_at_ms = -1
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
        stamps = [e.last_timestamp for e in self._producers.values()]
        self.clock_ms = snap.get("clock_ms", max(stamps, default=-1))
