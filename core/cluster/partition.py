"""A partition: a Raft group (Consensus) over a DiskLog, plus idempotent-producer state.

Kafka code reaches data only through this facade: the request handlers, the group
coordinator, the Admin API and housekeeping never touch `consensus` or `log` (only
core.cluster does, to build and configure a partition). Writes are validated here (size,
producer sequence, timestamp type) and then handed to consensus, which fixes their
order at once and completes them at the requested acks level.

Idempotent-producer state (core.cluster.producer_state.ReplicaProducers) is kept on every
replica: followers apply the committed batch headers of their log as the high watermark
moves, the leader checks writes against its committed state plus its in-flight batches,
built at its term's first write once the term start committed (Consensus.serving), and a
truncation drops what was cut. Snapshots (housekeeping, close) hold committed batches only.

Errors: what this facade raises is a `ClusterError` (Raft's refusal of a write and storage's
OffsetOutOfRange are translated here) or, for a batch the client got wrong, the model's
`BatchError`/`InvalidBatch`; a write's `acked` future may fail with consensus's error.
`core.cluster.errors.to_error_code` is the one mapping of all of them to Kafka codes.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import crc32c

from core.cluster.errors import ClusterErrc, ClusterError, from_raft, from_storage
from core.cluster.partition_housekeeping import PartitionHousekeeping, unwatched
from core.cluster.partition_txn import ProduceResult
from core.cluster.producer_state import Duplicate, ReplicaProducers
from core.common.clock import Clock
from core.model.batch import ATTR_TIMESTAMP_TYPE, CRC_START, BatchHeader, split_batches
from core.model.control import Marker
from core.model.records import decode_batch
from core.model.validation import DEFAULT_POLICY, validate_client_batch
from core.raft.consensus import NO_ACK, QUORUM_ACK, Consensus
from core.raft.errors import RaftError
from core.storage.errors import OffsetOutOfRange
from core.storage.log import DiskLog, ReadSlice
from core.storage.txn_index import AbortedIndex

log = logging.getLogger("ailurus.partition")

_PRODUCERS_KEY = "producer_state"
_ATTR_AT = struct.Struct(">h")
_MAX_TS_AT = struct.Struct(">qq")


class Partition(PartitionHousekeeping):
    def __init__(
        self,
        topic: str,
        index: int,
        topic_id: str,
        revision: int,
        consensus: Consensus,
        disk_log: DiskLog,
        clock: Clock,
    ) -> None:
        self.topic = topic
        self.index = index
        self.topic_id = topic_id
        self.revision = revision
        self.consensus = consensus
        self.log = disk_log
        self._clock = clock
        self.producers = ReplicaProducers(self._batch_headers)
        self.aborted = AbortedIndex(disk_log.directory)
        self.producers.committed.on_abort = self.aborted.add
        self.max_message_bytes = 1024 * 1024
        self.log_append_time = False
        self.produce_policy = DEFAULT_POLICY  # set from the topic's config by the manager
        self._listeners: list[Callable[[], object]] = []
        self._snapshot_offset = -1
        consensus.add_visible_listener(self._on_visible)
        consensus.add_commit_listener(self._on_commit)
        consensus.add_truncate_listener(self.producers.truncated)
        consensus.add_start_listener(self._on_start)
        consensus.add_leader_listener(self._on_leader)
        consensus.set_snapshot_state(self._snapshot_payload, self._install_snapshot)

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        # the snapshot first: what consensus commits while starting is applied on top of it
        # (one installed from the leader may be past the log end, its aborts too)
        snap = self.log.kvstore.get(_PRODUCERS_KEY)
        applied = snap.get("applied_offset", 0) if snap and snap.get("version") else 0
        self.aborted.load(self.log.start_offset, max(self.log.next_offset, applied))
        self.producers.load(snap, self.log.next_offset)
        self._snapshot_offset = self.producers.committed.applied_offset
        self.consensus.start()
        self._apply_committed()

    def close(self) -> None:
        self.consensus.close()
        self.snapshot_producers()
        self.aborted.close()
        self.log.close()

    def snapshot_producers(self) -> None:
        """Persist the committed producer state so a restart replays only the batches after it
        (never a batch above the commit offset: a new leader may cut those)."""
        producers = self.producers
        self._apply_committed()
        self.aborted.prune(self.log.start_offset)
        if producers.committed.applied_offset != self._snapshot_offset:
            self.aborted.sync()  # the aborts it names as applied are durable first
            self.log.kvstore.put(_PRODUCERS_KEY, producers.snapshot())
            self._snapshot_offset = producers.committed.applied_offset

    def _snapshot_payload(self, start: int) -> bytes:
        """The producer state a Raft snapshot at log start `start` carries (the leader)."""
        self._apply_committed()
        return self.producers.snapshot_payload(start, self.aborted.entries)

    def _install_snapshot(self, start: int, payload: bytes) -> None:
        """A Raft snapshot's producer state, durable before the log start moves to `start`."""
        for entry in self.producers.install_payload(start, payload):
            self.aborted.add(*entry)
        self._snapshot_offset = -1
        self.snapshot_producers()

    def _apply_committed(self) -> None:
        c = self.consensus
        self.producers.apply_committed(c.commit_offset, c.term if c.is_leader else -1)

    def _batch_headers(self, start: int, end: int) -> Iterator[tuple[BatchHeader, Marker | None]]:
        """Headers of the log's batches in [start, end), each with its transaction marker."""
        return self.log.batch_headers(max(start, self.log.start_offset), end)

    def _lead(self) -> ReplicaProducers:
        """The producer state, with the leader's view of this term (built at its first write:
        the term start must have committed, so every earlier batch is in it)."""
        c = self.consensus
        producers = self.producers
        if c.core is not None and c.core.transfer_target is not None:
            # refused before any sequence check: a later batch checked against a view that
            # lacks the refused one would get OUT_OF_ORDER_SEQUENCE (an epoch bump: duplicates)
            raise ClusterError(ClusterErrc.not_leader, "leadership transfer in progress")
        if producers.leader_term != c.term or not c.is_leader:
            if not c.is_leader:
                raise ClusterError(ClusterErrc.not_leader, "not the leader")
            if not c.serving:
                raise ClusterError(
                    ClusterErrc.not_leader, "leader not ready: term start uncommitted"
                )
            producers.lead(c.term, c.commit_offset, self.log.next_offset)
        return producers

    # ---- offsets -----------------------------------------------------------------------------------
    @property
    def high_watermark(self) -> int:
        return self.consensus.visible_offset

    @property
    def start_offset(self) -> int:
        return self.log.start_offset

    @property
    def log_end_offset(self) -> int:
        return self.log.next_offset

    @property
    def leader_epoch(self) -> int:
        return self.consensus.term

    @property
    def size_bytes(self) -> int:
        return self.log.size_bytes

    @property
    def is_leader(self) -> bool:
        return self.consensus.is_leader

    @property
    def raft_group_id(self) -> int:
        return self.consensus.group_id

    @property
    def directory(self) -> Path:
        return self.log.directory

    def epoch_end_offset(self, epoch: int) -> tuple[int, int]:
        """(largest epoch <= `epoch`, its end offset), as OffsetForLeaderEpoch answers."""
        return self.consensus.end_offset_for_term(epoch)

    # ---- writes -------------------------------------------------------------------------------------
    def produce(self, records: bytes | bytearray | memoryview, acks: int) -> ProduceResult:
        """Validate and append the single v2 batch of a produce request partition."""
        if len(records) > self.max_message_bytes:
            raise ClusterError(
                ClusterErrc.message_too_large,
                f"batch of {len(records)} bytes exceeds max.message.bytes={self.max_message_bytes}",
            )
        batch = bytearray(records)
        batches = split_batches(batch)  # header + CRC32C checks; raises BatchError
        if len(batches) != 1:
            raise ClusterError(
                ClusterErrc.invalid_record, "produce v3+ must carry exactly one record batch"
            )
        _, header = batches[0]
        # Kafka's LogValidator checks; raises InvalidBatch (a BatchError)
        validate_client_batch(
            batch, header, self.produce_policy, self._clock.now_ms(), f"{self.topic}-{self.index}"
        )
        duplicate = self._lead().check(header)
        if duplicate is not None:
            return self._duplicate(duplicate, acks)
        if self.log_append_time:
            _stamp_log_append_time(batch, self._clock.now_ms())
        return self._append(batch, header, acks)

    def _append(
        self, batch: bytearray, header: BatchHeader, acks: int, marker: Marker | None = None
    ) -> ProduceResult:
        try:
            appended = self.consensus.replicate(batch, acks)
        except RaftError as exc:
            raise from_raft(exc) from None
        self.producers.appended(
            header, appended.base_offset, appended.last_offset, appended.done, marker
        )
        acked = appended.done if acks != NO_ACK else None
        return ProduceResult(appended.base_offset, appended.last_offset, acked)

    def _duplicate(self, dup: Duplicate, acks: int) -> ProduceResult:
        """A retry of a batch this partition holds: its original offsets, once the retry's
        acks level is met (acks=all: when the original commits)."""
        if acks != QUORUM_ACK or dup.last_offset < self.consensus.commit_offset:
            return ProduceResult(dup.base_offset, dup.last_offset, None)
        waiter = self.producers.commit_future(dup.last_offset)
        if waiter is None:  # appended with acks 0/1 and nothing after it waits: retry later
            raise ClusterError(ClusterErrc.timeout, "the original batch is not committed yet")
        return ProduceResult(dup.base_offset, dup.last_offset, waiter)

    def append_internal(self, batch: bytearray, acks: int = -1) -> ProduceResult:
        """Append an internally built batch (e.g. __consumer_offsets) now, its log place fixed
        on return; `acked` (acks met) may fail with consensus's RaftError (`from_raft`)."""
        header = split_batches(batch)[0][1]
        if header.producer_id >= 0 or self.consensus.serving:
            self._lead()  # with the view, committed state advances without reading the log
        return self._append(batch, header, acks)

    # ---- reads --------------------------------------------------------------------------------------
    def read(
        self, offset: int, max_bytes: int, upper_offset: int | None = None
    ) -> ReadSlice | None:
        """A ReadSlice of whole batches in [offset, high watermark), or None.

        Raises ClusterError(offset_out_of_range) for an offset the log no longer holds."""
        upper = (
            self.high_watermark if upper_offset is None else min(upper_offset, self.high_watermark)
        )
        try:
            return self.log.read(offset, max_bytes, upper)
        except OffsetOutOfRange as exc:
            raise from_storage(exc) from None

    def read_bytes(self, start_offset: int, max_bytes: int) -> bytes:
        return self.log.read_bytes(start_offset, max_bytes, self.high_watermark)

    def timequery(self, timestamp_ms: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record whose timestamp is >= timestamp_ms.

        The time index finds the batch; the batch is then decoded (off the hot path) to
        find the exact record, as Kafka answers ListOffsets.
        """
        upper = self.high_watermark
        base = self.log.timequery(timestamp_ms, upper)
        if base is None:
            return None
        chunk = self.log.read_bytes(base, 1, upper)
        if not chunk:
            return None
        header, records = decode_batch(chunk)
        for record in records:
            if (
                record.offset is not None
                and record.offset >= base
                and record.timestamp_ms is not None
                and record.timestamp_ms >= timestamp_ms
            ):
                return record.offset, record.timestamp_ms
        return header.last_offset + 1, header.max_timestamp

    def max_timestamp_query(self) -> tuple[int, int] | None:
        """(offset, timestamp) of the visible record with the largest timestamp."""
        return self.log.max_timestamp_query(self.high_watermark)

    def prefix_truncate(self, offset: int) -> None:
        """DeleteRecords: make `offset` the log start of every replica. The start moves here
        (`start_offset`) once a majority holds it: at once with one replica, else the caller
        waits for `start_offset` to reach it (listeners are called when it moves, and when
        this replica stops leading)."""
        if offset > self.high_watermark or offset < 0:
            raise ClusterError(
                ClusterErrc.offset_out_of_range,
                f"offset {offset} outside [0, {self.high_watermark}]",
            )
        if offset > self.log.start_offset:
            try:
                unwatched(self.consensus.propose_start(offset))
            except RaftError as exc:
                raise from_raft(exc) from None

    def _on_start(self, offset: int) -> None:
        if self._snapshot_offset < offset:
            try:  # a restart must not replay from below the new start (inside consensus's step)
                self.snapshot_producers()
            except Exception:
                log.exception("%s/%d: producer state not persisted", self.topic, self.index)
        for fn in list(self._listeners):
            fn()

    def _on_leader(self, _term: int, _leader: int | None) -> None:
        if not self.consensus.is_leader:
            self._on_start(self.log.start_offset)  # DeleteRecords waiting here stop

    # ---- fetch long-poll notification ----------------------------------------------------------------
    def add_listener(self, fn: Callable[[], object]) -> None:
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[], object]) -> None:
        try:
            self._listeners.remove(fn)
        except ValueError:
            pass

    def _on_commit(self, _commit: int) -> None:
        try:
            self._apply_committed()  # a marker closes its transaction once committed
        except Exception:
            log.exception("%s/%d: producer state not advanced", self.topic, self.index)

    def _on_visible(self) -> None:
        try:
            self._apply_committed()  # inside consensus's step: never let an error out
        except Exception:
            log.exception("%s/%d: producer state not advanced", self.topic, self.index)
        for fn in list(self._listeners):
            fn()


def _stamp_log_append_time(batch: bytearray, now_ms: int) -> None:
    """LogAppendTime topics: set the timestamp-type bit and maxTimestamp, then re-CRC."""
    attrs = _ATTR_AT.unpack_from(batch, 21)[0] | ATTR_TIMESTAMP_TYPE
    _ATTR_AT.pack_into(batch, 21, attrs)
    first_ts = _MAX_TS_AT.unpack_from(batch, 27)[0]
    _MAX_TS_AT.pack_into(batch, 27, first_ts, now_ms)
    struct.pack_into(">I", batch, 17, crc32c.crc32c(memoryview(batch)[CRC_START:]))
