"""A partition: a Raft group (Consensus) over a DiskLog, plus idempotent-producer state.

Kafka code reaches data only through this facade. Writes are validated here (size,
producer sequence, timestamp type) and then handed to consensus, which fixes their
order at once and completes them at the requested acks level.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass

import crc32c

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.producer_state import Duplicate, ProducerStateTable
from core.model.batch import ATTR_TIMESTAMP_TYPE, CRC_START, BatchHeader, split_batches
from core.model.records import decode_batch
from core.model.validation import DEFAULT_POLICY, validate_client_batch
from core.raft.consensus import NO_ACK, Appended, Consensus
from core.raft.errors import RaftError

log = logging.getLogger("ailurus.partition")

_PRODUCERS_KEY = "producer_state"
_REPLAY_CHUNK_BYTES = 4 * 1024 * 1024
_ATTR_AT = struct.Struct(">h")
_MAX_TS_AT = struct.Struct(">qq")


@dataclass(slots=True)
class ProduceResult:
    base_offset: int
    last_offset: int
    pending: Appended | None  # await .done when not None


class Partition:
    def __init__(
        self,
        topic: str,
        index: int,
        topic_id: str,
        revision: int,
        consensus: Consensus,
        disk_log,
        clock,
    ) -> None:
        self.topic = topic
        self.index = index
        self.topic_id = topic_id
        self.revision = revision
        self.consensus = consensus
        self.log = disk_log
        self._clock = clock
        self.producers = ProducerStateTable()
        self.max_message_bytes = 1024 * 1024
        self.log_append_time = False
        self.produce_policy = DEFAULT_POLICY  # set from the topic's config by the manager
        self._listeners: list = []
        self._snapshot_offset = -1
        consensus.add_visible_listener(self._on_visible)

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self.consensus.start()
        self._recover_producers()

    def close(self) -> None:
        self.consensus.close()
        self.snapshot_producers()
        self.log.close()

    def snapshot_producers(self) -> None:
        """Persist producer state so a restart replays only the batches after it."""
        if self.producers.applied_offset != self._snapshot_offset:
            self.log.kvstore.put(_PRODUCERS_KEY, self.producers.snapshot())
            self._snapshot_offset = self.producers.applied_offset

    def _recover_producers(self) -> None:
        self.producers.load(self.log.kvstore.get(_PRODUCERS_KEY))
        offset = max(self.producers.applied_offset, self.log.start_offset)
        if self.producers.applied_offset > self.log.next_offset:
            self.producers.truncate_from(self.log.next_offset)
            offset = self.log.start_offset
            self.producers.load(None)
        end = self.log.next_offset
        while offset < end:
            chunk = self.log.read_bytes(offset, _REPLAY_CHUNK_BYTES, end)
            if not chunk:
                break
            for _, header in split_batches(chunk, check_crc=False):
                self.producers.record(header, header.base_offset, header.last_offset)
                offset = header.last_offset + 1

    # ---- offsets -----------------------------------------------------------------------------------
    @property
    def high_watermark(self) -> int:
        return self.consensus.visible_offset

    @property
    def last_stable_offset(self) -> int:
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
        duplicate = self.producers.check(header)
        if isinstance(duplicate, Duplicate):
            return ProduceResult(duplicate.base_offset, duplicate.last_offset, None)
        if self.log_append_time:
            _stamp_log_append_time(batch, self._clock.now_ms())
        return self._append(batch, header, acks)

    def _append(self, batch: bytearray, header: BatchHeader, acks: int) -> ProduceResult:
        try:
            appended = self.consensus.replicate(batch, acks)
        except RaftError as exc:
            raise ClusterError(ClusterErrc.not_leader, str(exc)) from None
        self.producers.record(header, appended.base_offset, appended.last_offset)
        pending = appended if appended.done is not None and acks != NO_ACK else None
        return ProduceResult(appended.base_offset, appended.last_offset, pending)

    async def replicate(self, batch: bytearray, acks: int = -1) -> tuple[int, int]:
        """Append an internally built batch (e.g. __consumer_offsets) and wait for `acks`."""
        header = split_batches(batch)[0][1]
        result = self._append(batch, header, acks)
        if result.pending is not None:
            await result.pending.done
        return result.base_offset, result.last_offset

    # ---- reads --------------------------------------------------------------------------------------
    def read(self, offset: int, max_bytes: int, upper_offset: int | None = None):
        """A ReadSlice of whole batches in [offset, high watermark), or None."""
        upper = (
            self.high_watermark if upper_offset is None else min(upper_offset, self.high_watermark)
        )
        return self.log.read(offset, max_bytes, upper)

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
                record.offset >= base
                and record.timestamp_ms is not None
                and record.timestamp_ms >= timestamp_ms
            ):
                return record.offset, record.timestamp_ms
        return header.last_offset + 1, header.max_timestamp

    def max_timestamp_query(self) -> tuple[int, int] | None:
        """(offset, timestamp) of the visible record with the largest timestamp."""
        return self.log.max_timestamp_query(self.high_watermark)

    def prefix_truncate(self, offset: int) -> None:
        if offset > self.high_watermark or offset < 0:
            raise ClusterError(
                ClusterErrc.offset_out_of_range,
                f"offset {offset} outside [0, {self.high_watermark}]",
            )
        if offset > self.log.start_offset:
            self.log.prefix_truncate(offset)

    # ---- fetch long-poll notification ----------------------------------------------------------------
    def add_listener(self, fn) -> None:
        self._listeners.append(fn)

    def remove_listener(self, fn) -> None:
        try:
            self._listeners.remove(fn)
        except ValueError:
            pass

    def _on_visible(self) -> None:
        for fn in list(self._listeners):
            fn()


def _stamp_log_append_time(batch: bytearray, now_ms: int) -> None:
    """LogAppendTime topics: set the timestamp-type bit and maxTimestamp, then re-CRC."""
    attrs = _ATTR_AT.unpack_from(batch, 21)[0] | ATTR_TIMESTAMP_TYPE
    _ATTR_AT.pack_into(batch, 21, attrs)
    first_ts = _MAX_TS_AT.unpack_from(batch, 27)[0]
    _MAX_TS_AT.pack_into(batch, 27, first_ts, now_ms)
    struct.pack_into(">I", batch, 17, crc32c.crc32c(memoryview(batch)[CRC_START:]))
