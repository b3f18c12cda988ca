"""Idempotent-producer state of one partition replica: epochs and the last five batches per
producer, built from batch headers only (producer id, epoch, base sequence, last offset
delta; no record is decoded).

Sequence rules, as Kafka applies them (`ProducerStateTable`): a batch from a known producer
and epoch must continue the sequence (last_seq + 1, wrapping at 2^31) or repeat one of the
last five batches, in which case it is a duplicate answered with its original offsets; an
older epoch is fenced; a newer epoch starts over at sequence 0; an unknown producer is
accepted at any sequence (Kafka and Redpanda do so: its batches may have been removed by
retention or DeleteRecords).

Every replica, leader or follower, keeps `ReplicaProducers`:

* `committed`: the table over the log's COMMITTED batches, in log order. It is what
  snapshots hold, so a snapshot never names data a new leader may cut. A follower brings it
  up to the commit offset by reading batch headers from its log (the leader's bytes that
  replication appended); the leader promotes its own in-flight batches as they commit.
* on the leader, a `view`: `committed` plus the batches appended in its term and not yet
  committed, against which requests are checked, so a concurrent retry of an in-flight batch
  is a duplicate (it waits for the original's commit) and pipelined batches continue the
  sequence. The view is built for one term once that term's start committed (Raft's barrier:
  every batch of earlier terms is then committed and in `committed`), and dropped on any
  truncation or leader change.

After a truncation the state is `committed` (never above the commit offset, so untouched by
the cut) plus a replay of the headers up to the new log end: no sequence survives for data
that is gone, and epoch bumps or evictions of the cut batches are undone with them.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from core.cluster.errors import ClusterErrc, ClusterError
from core.model.batch import BatchHeader

log = logging.getLogger("ailurus.producer_state")

BATCHES_REMEMBERED = 5  # Kafka's max.in.flight for idempotent producers
MAX_PRODUCERS = 10_000  # per partition; the least recently used is evicted beyond it
MAX_INFLIGHT_BATCHES = 20_000  # leader's uncommitted idempotent batches kept in memory
_NEVER = 1 << 62

# the headers of the log's batches in [start, end), in order
HeaderSource = Callable[[int, int], Iterable[BatchHeader]]
Batch = tuple[int, int, int, int]  # (first_seq, last_seq, base_offset, last_offset)
# a batch the leader appended in its term, not committed yet (a plain tuple: the hot path):
# (last_offset, producer_id, epoch, batch, the append's acks future or None for acks 0/1)
InFlight = tuple[int, int, int, Batch, "asyncio.Future | None"]


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
        pid = header.producer_id
        if pid >= 0:
            batch = (header.base_sequence, header.last_sequence, base_offset, last_offset)
            self.add(pid, header.producer_epoch, batch)
        elif last_offset >= self.applied_offset:
            self.applied_offset = last_offset + 1

    def add(self, pid: int, epoch: int, batch: Batch) -> None:
        """Remember an idempotent batch (first_seq, last_seq, base_offset, last_offset)."""
        if batch[3] >= self.applied_offset:
            self.applied_offset = batch[3] + 1
        producers = self._producers
        entry = producers.get(pid)
        if entry is None or epoch > entry.epoch:
            entry = ProducerEntry(epoch=epoch)
            producers[pid] = entry
        producers.move_to_end(pid)
        entry.batches.append(batch)
        if len(producers) > MAX_PRODUCERS:
            producers.popitem(last=False)

    def clone(self) -> ProducerStateTable:
        copy = ProducerStateTable()
        copy.applied_offset = self.applied_offset
        for pid, e in self._producers.items():
            copy._producers[pid] = ProducerEntry(e.epoch, deque(e.batches, BATCHES_REMEMBERED))
        return copy

    def snapshot(self) -> dict:
        return {
            "applied_offset": self.applied_offset,
            "producers": [
                [pid, e.epoch, [list(b) for b in e.batches]] for pid, e in self._producers.items()
            ],
        }

    def load(self, snap: dict | None) -> None:
        self._producers.clear()
        self.applied_offset = 0
        if not snap:
            return
        self.applied_offset = snap.get("applied_offset", 0)
        for pid, epoch, batches in snap.get("producers", []):
            entry = ProducerEntry(epoch=epoch)
            entry.batches.extend(tuple(b) for b in batches)
            self._producers[pid] = entry


class ReplicaProducers:
    """The producer state of one replica (see the module docstring).

    `leading_term` is the caller's current term while it leads, else -1; every call that
    moves the state passes it, so a view built for another term is never used."""

    def __init__(self, headers: HeaderSource) -> None:
        self._headers = headers
        self.committed = ProducerStateTable()
        self._view: ProducerStateTable | None = None
        self.leader_term = -1  # the term `_view` was built for; -1: no view
        self._inflight: deque[InFlight] = deque()  # ascending offsets
        # every idempotent batch appended at or past this offset is in `_inflight`
        self._inflight_from = _NEVER

    # ---- recovery and followers --------------------------------------------------------------
    def load(self, snap: dict | None, log_end: int) -> None:
        """Start from a persisted snapshot (taken at or below a commit offset)."""
        self.committed.load(snap)
        if self.committed.applied_offset > log_end:
            # not written by this release (older ones snapshotted at the leader's append):
            # it names data the log does not hold. Rebuild from the log alone.
            log.warning("producer snapshot at %d past the log end %d: replaying the log",
                        self.committed.applied_offset, log_end)  # fmt: skip
            self.committed.load(None)
        self._drop_view()

    def apply_committed(self, commit: int, leading_term: int) -> None:
        """Bring `committed` up to `commit` (one past the last committed offset)."""
        if leading_term != self.leader_term:
            self._drop_view()
        table = self.committed
        if commit <= table.applied_offset:
            return
        inflight = self._inflight
        if table.applied_offset >= self._inflight_from:  # the leader: promote, no log read
            while inflight and inflight[0][0] < commit:
                _, pid, epoch, batch, _ = inflight.popleft()
                table.add(pid, epoch, batch)
        else:
            for h in self._headers(table.applied_offset, commit):
                table.record(h, h.base_offset, h.last_offset)
            while inflight and inflight[0][0] < commit:
                inflight.popleft()
        table.applied_offset = max(table.applied_offset, commit)

    def truncated(self, offset: int) -> None:
        """The log was cut at `offset` (Consensus truncate listener)."""
        inflight = self._inflight
        while inflight and inflight[-1][0] >= offset:
            inflight.pop()
        if offset < self.committed.applied_offset:  # Raft never cuts commits: be safe anyway
            log.warning("truncation at %d below the applied producer state %d: rebuilding",
                        offset, self.committed.applied_offset)  # fmt: skip
            self.committed.load(None)
        self._drop_view()

    def snapshot(self) -> dict:
        return self.committed.snapshot()

    # ---- the leader ----------------------------------------------------------------------------
    def lead(self, term: int, commit: int, log_end: int) -> None:
        """Build the view for `term`: call once the term's start committed (`commit` is then
        past every batch of earlier terms), before the term's first write is checked."""
        self._drop_view()
        self.apply_committed(commit, -1)
        pending = {e[0]: e[4] for e in self._inflight if e[4] is not None}
        self._inflight.clear()
        view = self.committed.clone()
        start = self._inflight_from = view.applied_offset
        for h in self._headers(start, log_end) if start < log_end else ():  # before the view
            if h.producer_id >= 0:
                last = h.last_offset
                batch = (h.base_sequence, h.last_sequence, h.base_offset, last)
                view.add(h.producer_id, h.producer_epoch, batch)
                self._push((last, h.producer_id, h.producer_epoch, batch, pending.get(last)))
        self._view = view
        self.leader_term = term

    def check(self, header: BatchHeader) -> Duplicate | None:
        """Check a batch against the leader's view (raises on epoch/sequence errors)."""
        assert self._view is not None, "lead() first"
        return self._view.check(header)

    def appended(
        self, header: BatchHeader, base: int, last: int, done: asyncio.Future | None
    ) -> None:
        """The leader appended `header`'s batch at [base, last] in its term."""
        pid = header.producer_id
        if pid < 0:
            return
        epoch = header.producer_epoch
        batch = (header.base_sequence, header.last_sequence, base, last)
        view = self._view
        if view is not None:
            view.add(pid, epoch, batch)
        if last < self.committed.applied_offset:  # committed while it was being appended
            self.committed.add(pid, epoch, batch)
        else:
            self._push((last, pid, epoch, batch, done))

    def commit_future(self, last_offset: int) -> asyncio.Future | None:
        """A future resolved once the in-flight batch ending at `last_offset` commits: its
        own acks future, or that of a later in-flight batch (commits are a log prefix)."""
        found = None
        for last, _, _, _, done in reversed(self._inflight):
            if last < last_offset:
                break
            if done is not None:
                found = done
        return found

    # ---- internals -----------------------------------------------------------------------------
    def _push(self, entry: InFlight) -> None:
        inflight = self._inflight
        if len(inflight) >= MAX_INFLIGHT_BATCHES:
            # keep memory bounded: the oldest is then promoted from the log instead
            dropped = inflight.popleft()
            self._inflight_from = max(self._inflight_from, dropped[0] + 1)
        inflight.append(entry)

    def _drop_view(self) -> None:
        """Forget the leader's view; in-flight entries stay for their futures until they
        commit or are cut, but `committed` is then brought up from the log."""
        self._view = None
        self.leader_term = -1
        self._inflight_from = _NEVER
