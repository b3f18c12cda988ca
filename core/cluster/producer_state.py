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

Transactions (Kafka's ProducerStateManager, Redpanda's rm_stm): a transactional data batch
opens a transaction for its producer at its base offset unless one is open; a control batch
(COMMIT/ABORT marker, core.model.control) closes it, takes the marker's epoch when newer and
its coordinator epoch. A data batch that is not transactional while the producer's
transaction is open is INVALID_TXN_STATE. `committed` reports each ABORT it applies to
`on_abort` (the partition's aborted-transactions index, core.storage.txn_index), with the
last stable offset once it completed; the leader's view never does (its markers may be cut).

The last stable offset (`last_stable_offset`) is the smallest of: the high watermark, the
first offset of the oldest transaction open in `committed`, and the first uncommitted
transactional batch the leader appended in its term; without the leader's view (a follower,
or in-flight batches not all tracked) the applied offset bounds it too. A marker thus ends a
transaction for readers only once it committed, and its ABORT is in the index by then.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.producer_snapshot import (
    MAX_ABORTED,
    Aborted,
    ProducerSnapshot,
    ProducerSnapshotError,
    decode,
    encode,
)
from core.cluster.producer_table import (
    BATCHES_REMEMBERED,
    MAX_PRODUCERS,
    Batch,
    Duplicate,
    Kind,
    ProducerEntry,
    ProducerInfo,
    ProducerLimits,
    ProducerStateTable,
    kind_of,
)
from core.cluster.txn_state import TxnError
from core.model.batch import BatchHeader
from core.model.control import Marker
from core.protocol.errors import ErrorCode

__all__ = [
    "BATCHES_REMEMBERED",
    "MAX_PRODUCERS",
    "Duplicate",
    "ProducerEntry",
    "ProducerInfo",
    "ProducerStateTable",
    "ReplicaProducers",
]

log = logging.getLogger("ailurus.producer_state")

PAYLOAD_REUSE_S = 5.0  # a snapshot payload serves this long (snapshot_payload)
MAX_INFLIGHT_BATCHES = 20_000  # leader's uncommitted idempotent batches kept in memory
_NEVER = 1 << 62

# the headers of the log's batches in [start, end), in order, each with the marker a control
# batch holds (None for any other batch)
HeaderSource = Callable[[int, int], Iterable[tuple[BatchHeader, Marker | None]]]
# a batch the leader appended in its term, not committed yet (a plain tuple: the hot path):
# (last_offset, producer_id, epoch, batch, the append's acks future or None for acks 0/1,
#  kind, max timestamp)
InFlight = tuple[int, int, int, Batch, "asyncio.Future | None", Kind, int]


class ReplicaProducers:
    """The producer state of one replica (see the module docstring).

    `leading_term` is the caller's current term while it leads, else -1; every call that
    moves the state passes it, so a view built for another term is never used."""

    def __init__(self, headers: HeaderSource) -> None:
        self._headers = headers
        self.limits = ProducerLimits()  # shared by every table of this replica
        self.committed = ProducerStateTable(self.limits)
        self._view: ProducerStateTable | None = None
        self.leader_term = -1  # the term `_view` was built for; -1: no view
        self._inflight: deque[InFlight] = deque()  # ascending offsets
        # (base, last) of the transactional data batches among them: they bound the LSO
        self._txn_inflight: deque[tuple[int, int]] = deque()
        # every idempotent batch appended at or past this offset is in `_inflight`
        self._inflight_from = _NEVER
        self._payload: tuple[int, float, bytes] = (-1, 0.0, b"")  # snapshot_payload's cache

    # ---- recovery and followers --------------------------------------------------------------
    def configure(self, expiration_ms: int, max_producers: int) -> None:
        """transactional_id_expiration_ms and max_concurrent_producer_ids, from now on."""
        limits = self.limits
        if (limits.expiration_ms, limits.max_producers) != (expiration_ms, max_producers):
            limits.expiration_ms, limits.max_producers = expiration_ms, max_producers
            for table in (self.committed, self._view):
                if table is not None:
                    table.sweep_at_ms = -1  # the sweep period may have changed

    def load(self, snap: dict | None, log_end: int) -> None:
        """Start from a persisted snapshot (taken at or below a commit offset). From version 2
        on it may name offsets past the log end: a snapshot installed from the leader, whose
        batches up to its applied offset are committed and will be replicated here."""
        self.committed.load(snap)
        if self.committed.applied_offset > log_end and not (snap or {}).get("version"):
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
                _, pid, epoch, batch, _, kind, ts = inflight.popleft()
                table.apply(pid, epoch, batch, kind, ts)
        else:
            for h, marker in self._headers(table.applied_offset, commit):
                table.record(h, h.base_offset, h.last_offset, marker)
            while inflight and inflight[0][0] < commit:
                inflight.popleft()
        txns = self._txn_inflight
        while txns and txns[0][1] < commit:
            txns.popleft()
        table.applied_offset = max(table.applied_offset, commit)

    def truncated(self, offset: int) -> None:
        """The log was cut at `offset` (Consensus truncate listener)."""
        inflight = self._inflight
        while inflight and inflight[-1][0] >= offset:
            inflight.pop()
        txns = self._txn_inflight
        while txns and txns[-1][1] >= offset:
            txns.pop()
        if offset < self.committed.applied_offset:
            # Raft cuts committed batches only when a snapshot replaces the whole log (the
            # snapshot's producer state is installed next): be safe anyway
            log.info("log cut at %d below the applied producer state %d: rebuilding",
                     offset, self.committed.applied_offset)  # fmt: skip
            self.committed.load(None)
        self._drop_view()

    def snapshot(self) -> dict:
        return self.committed.snapshot()

    def snapshot_payload(self, start: int, aborted: Callable[[], list[Aborted]]) -> bytes:
        """What a snapshot at log start `start` carries (core.cluster.producer_snapshot): the
        committed table and the aborted transactions whose marker is at or past `start`.

        The leader sends a snapshot with every heartbeat to a follower that needs one, also
        while it is down: one payload per start serves for PAYLOAD_REUSE_S (an older one is as
        valid: its table is at or past `start`, the follower applies the batches after it)."""
        cached_start, made_s, payload = self._payload
        now_s = time.monotonic()
        if cached_start == start and now_s - made_s < PAYLOAD_REUSE_S:
            return payload
        payload = self._encode_payload(start, aborted())
        self._payload = (start, now_s, payload)
        return payload

    def _encode_payload(self, start: int, aborted: list[Aborted]) -> bytes:
        kept = [a for a in aborted if a[2] >= start]
        if len(kept) > MAX_ABORTED:
            log.error("%d aborted transactions past the snapshot offset %d: only the last %d"
                      " travel", len(kept), start, MAX_ABORTED)  # fmt: skip
            kept = kept[-MAX_ABORTED:]
        return encode(self.committed, kept)

    def install_payload(self, start: int, payload: bytes) -> list[Aborted]:
        """Install a snapshot's payload (a log restarting empty at `start`); returns the aborted
        transactions it carried. A payload that does not decode is logged and the state
        restarts empty at `start` (as without a payload: the producers' batches are gone)."""
        try:
            snap = decode(payload, self.limits)
        except ProducerSnapshotError as exc:
            log.error("producer state of the snapshot at %d refused: %s", start, exc)
            snap = ProducerSnapshot(ProducerStateTable(self.limits), [])
        if snap.table.applied_offset < start:
            snap.table.applied_offset = start
        log.info("snapshot at %d: %d producers, %d open transactions, applied to %d",
                 start, len(snap.table), len(snap.table.ongoing), snap.table.applied_offset)  # fmt: skip
        self.install(snap)
        return snap.aborted

    def install(self, snap: ProducerSnapshot) -> None:
        """Replace the state by the leader's snapshot (core.cluster.producer_snapshot): the log
        restarts empty at the snapshot offset, and the batches from there up to the table's
        applied offset are already in it. In-flight entries (ours as an old leader) are cut."""
        on_abort = self.committed.on_abort
        self.committed = snap.table
        self.committed.limits = self.limits
        self.committed.on_abort = on_abort
        self._inflight.clear()
        self._txn_inflight.clear()
        self._drop_view()

    # ---- transactions ------------------------------------------------------------------------
    def last_stable_offset(self, high_watermark: int) -> int:
        """The LSO (see the module docstring) given the replica's high watermark."""
        table = self.committed
        lso = high_watermark
        first = table.ongoing.first()
        if first is not None and first < lso:
            lso = first
        if table.applied_offset < lso:
            if self._view is not None and table.applied_offset >= self._inflight_from:
                if self._txn_inflight and self._txn_inflight[0][0] < lso:
                    lso = self._txn_inflight[0][0]
            else:
                lso = table.applied_offset
        return lso

    def describe(self) -> list[ProducerInfo]:
        """The producers of the leader's view (else of the committed state)."""
        return (self._view or self.committed).describe()

    def check_marker(self, producer_id: int, epoch: int, coordinator_epoch: int) -> None:
        """Refuse a marker from an older producer epoch or an older coordinator (leader)."""
        assert self._view is not None, "lead() first"
        current = self._view.epoch_of(producer_id)
        if current is not None and epoch < current:
            raise ClusterError(
                ClusterErrc.invalid_producer_epoch,
                f"marker for producer {producer_id} at epoch {epoch} < {current}",
            )
        known = self._view.coordinator_epoch_of(producer_id)
        if coordinator_epoch < known:
            raise TxnError(
                ErrorCode.transaction_coordinator_fenced,
                f"marker for producer {producer_id} from coordinator epoch {coordinator_epoch}"
                f" < {known}",
            )

    # ---- the leader ----------------------------------------------------------------------------
    def lead(self, term: int, commit: int, log_end: int) -> None:
        """Build the view for `term`: call once the term's start committed (`commit` is then
        past every batch of earlier terms), before the term's first write is checked."""
        self._drop_view()
        self.apply_committed(commit, -1)
        pending = {e[0]: e[4] for e in self._inflight if e[4] is not None}
        self._inflight.clear()
        self._txn_inflight.clear()
        view = self.committed.clone()
        start = self._inflight_from = view.applied_offset
        for h, marker in self._headers(start, log_end) if start < log_end else ():
            if h.producer_id >= 0:
                last = h.last_offset
                batch = (h.base_sequence, h.last_sequence, h.base_offset, last)
                kind = kind_of(h, marker)
                view.apply(h.producer_id, h.producer_epoch, batch, kind, h.max_timestamp)
                entry = (last, h.producer_id, h.producer_epoch, batch, pending.get(last))
                self._push((*entry, kind, h.max_timestamp))
        self._view = view
        self.leader_term = term

    def check(self, header: BatchHeader) -> Duplicate | None:
        """Check a batch against the leader's view (raises on epoch/sequence errors)."""
        assert self._view is not None, "lead() first"
        return self._view.check(header)

    def appended(
        self,
        header: BatchHeader,
        base: int,
        last: int,
        done: asyncio.Future | None,
        marker: Marker | None = None,
    ) -> None:
        """The leader appended `header`'s batch at [base, last] in its term."""
        pid = header.producer_id
        if pid < 0:
            return
        epoch = header.producer_epoch
        batch = (header.base_sequence, header.last_sequence, base, last)
        kind = kind_of(header, marker)
        ts = header.max_timestamp
        view = self._view
        if view is not None:
            view.apply(pid, epoch, batch, kind, ts)
        if last < self.committed.applied_offset:  # committed while it was being appended
            self.committed.apply(pid, epoch, batch, kind, ts)
        else:
            self._push((last, pid, epoch, batch, done, kind, ts))

    def commit_future(self, last_offset: int) -> asyncio.Future | None:
        """A future resolved once the in-flight batch ending at `last_offset` commits: its
        own acks future, or that of a later in-flight batch (commits are a log prefix)."""
        found = None
        for entry in reversed(self._inflight):
            if entry[0] < last_offset:
                break
            if entry[4] is not None:
                found = entry[4]
        return found

    # ---- internals -----------------------------------------------------------------------------
    def _push(self, entry: InFlight) -> None:
        inflight = self._inflight
        if len(inflight) >= MAX_INFLIGHT_BATCHES:
            # keep memory bounded: the oldest is then promoted from the log instead
            dropped = inflight.popleft()
            self._inflight_from = max(self._inflight_from, dropped[0] + 1)
            txns = self._txn_inflight
            while txns and txns[0][1] <= dropped[0]:
                txns.popleft()
        inflight.append(entry)
        if entry[5] is True:
            self._txn_inflight.append((entry[3][2], entry[0]))

    def _drop_view(self) -> None:
        """Forget the leader's view; in-flight entries stay for their futures until they
        commit or are cut, but `committed` is then brought up from the log."""
        self._view = None
        self.leader_term = -1
        self._inflight_from = _NEVER
