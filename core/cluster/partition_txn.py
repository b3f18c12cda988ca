"""The transaction side of the partition facade (a mixin of core.cluster.partition.Partition).

Seam 1 (the transaction coordinator calls it, on the leader): `write_txn_marker` appends a
COMMIT or ABORT control batch (core.model.control) through Raft like any batch, acks=all, and
returns a Kafka error code once it committed: NONE, NOT_LEADER_OR_FOLLOWER (also while a new
leader's term start is uncommitted), INVALID_PRODUCER_EPOCH (the marker's epoch is below the
producer's), TRANSACTION_COORDINATOR_FENCED (an older coordinator epoch than a marker already
applied), or REQUEST_TIMED_OUT (retriable: not committed within `timeout_ms`; it may still
commit, and a repeated marker for a closed transaction is harmless). A marker for a producer
with no open transaction here is written and answered NONE, as Kafka does.

Reads: `last_stable_offset`, `aborted_transactions(start, upper)` (Fetch read_committed) and
`describe_producers()` (DescribeProducers) read the replica's producer state
(core.cluster.producer_state) and its aborted-transactions index (core.storage.txn_index).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from core.cluster.errors import ClusterError, to_error_code
from core.cluster.producer_state import ProducerInfo, ReplicaProducers
from core.common.clock import Clock
from core.model.batch import BatchHeader, parse_header
from core.model.control import Marker, build_marker_batch
from core.protocol.errors import ErrorCode
from core.raft.consensus import QUORUM_ACK, Consensus
from core.raft.errors import RaftError
from core.storage.log import DiskLog
from core.storage.txn_index import AbortedIndex

log = logging.getLogger("ailurus.partition")

MARKER_TIMEOUT_MS = 30_000


@dataclass(slots=True)
class ProduceResult:
    base_offset: int
    last_offset: int
    acked: asyncio.Future | None  # resolves when the acks level is met; None: already met


class PartitionTxns:
    """The transaction side of Partition (a mixin). The attributes and the three methods
    declared first are Partition's own (core.cluster.partition)."""

    topic: str
    index: int
    consensus: Consensus
    producers: ReplicaProducers
    aborted: AbortedIndex
    log: DiskLog
    _clock: Clock

    def _lead(self) -> ReplicaProducers:  # pragma: no cover - Partition's
        raise NotImplementedError

    def _append(
        self, batch: bytearray, header: BatchHeader, acks: int, marker: Marker | None = None
    ) -> ProduceResult:
        raise NotImplementedError  # pragma: no cover - Partition's

    @property
    def high_watermark(self) -> int:  # pragma: no cover - Partition's
        raise NotImplementedError

    # ---- reads ---------------------------------------------------------------------------------
    @property
    def last_stable_offset(self) -> int:
        """The first offset a read_committed consumer may not read yet (<= high watermark):
        never below the log start, as Kafka's (DeleteRecords may pass an open transaction)."""
        c = self.consensus
        if c.is_leader and c.serving and self.producers.leader_term != c.term:
            try:
                self._lead()  # the view knows this term's in-flight transactional batches
            except ClusterError:
                pass
        lso = self.producers.last_stable_offset(self.high_watermark)
        return max(lso, self.log.start_offset)  # DeleteRecords past an open transaction

    def aborted_transactions(self, start_offset: int, upper_offset: int) -> list[tuple[int, int]]:
        """(producer id, first offset) of each aborted transaction with data in
        [start_offset, upper_offset) (Fetch read_committed)."""
        return self.aborted.overlapping(start_offset, upper_offset)

    def describe_producers(self) -> list[ProducerInfo]:
        """The producers of this partition (DescribeProducers; leader only)."""
        if self.consensus.is_leader and self.consensus.serving:
            self._lead()
        return self.producers.describe()

    # ---- Seam 1: markers -----------------------------------------------------------------------
    def append_txn_marker(
        self, producer_id: int, producer_epoch: int, commit: bool, coordinator_epoch: int
    ) -> ErrorCode | asyncio.Future | None:
        """Append a COMMIT/ABORT marker now (its place in the log is fixed on return): the
        future that resolves once it committed (None: already committed), or the error code of
        a refusal. `write_txn_marker` waits for it; the coordinator's MarkerWriter appends the
        markers of a transaction's partitions at once and waits for them together."""
        if producer_id < 0 or producer_epoch < 0:
            return ErrorCode.invalid_request  # a marker needs a producer
        marker = Marker(commit, coordinator_epoch)
        try:
            self._lead().check_marker(producer_id, producer_epoch, coordinator_epoch)
            batch = build_marker_batch(producer_id, producer_epoch, marker, self._clock.now_ms())
            header = parse_header(batch)  # built here: no CRC to check again
            result = self._append(batch, header, QUORUM_ACK, marker)
        except (ClusterError, RaftError) as exc:
            return to_error_code(exc)
        log.debug("%s/%d: %s marker for producer %d (epoch %d) at %d", self.topic, self.index,
                  "COMMIT" if commit else "ABORT", producer_id, producer_epoch,
                  result.base_offset)  # fmt: skip
        return result.acked

    async def write_txn_marker(
        self,
        producer_id: int,
        producer_epoch: int,
        commit: bool,
        coordinator_epoch: int,
        timeout_ms: int = MARKER_TIMEOUT_MS,
    ) -> ErrorCode:
        """Append a COMMIT/ABORT marker for the producer and wait until it committed."""
        acked = self.append_txn_marker(producer_id, producer_epoch, commit, coordinator_epoch)
        if acked is None or isinstance(acked, ErrorCode):
            return acked or ErrorCode.none
        done, _ = await asyncio.wait((acked,), timeout=timeout_ms / 1000)
        return marker_outcome(acked) if done else timed_out(acked)


def marker_outcome(acked: asyncio.Future) -> ErrorCode:
    """The code of a marker whose acked future is done: NONE once committed."""
    if acked.cancelled():
        return ErrorCode.request_timed_out  # retriable: it may still commit
    exc = acked.exception()
    if exc is None:
        return ErrorCode.none
    try:
        return to_error_code(exc)
    except Exception:  # noqa: BLE001 - not a partition error: a bug, retried by the sender
        log.error("marker failed: %r", exc)
        return ErrorCode.unknown_server_error


def timed_out(acked: asyncio.Future) -> ErrorCode:
    """A marker not committed in time: REQUEST_TIMED_OUT (retriable; it may still commit)."""
    acked.add_done_callback(lambda f: f.cancelled() or f.exception())
    return ErrorCode.request_timed_out
