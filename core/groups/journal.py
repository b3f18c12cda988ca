"""The coordinator's writes to `__consumer_offsets`, through the partition API.

One writer per partition keeps the log order equal to the order of `append`
calls and packs whatever queued up meanwhile into one batch, replicated with
acks=-1; each append's Completion resolves once its batch is committed. Partition
errors become the codes Kafka's coordinator returns for a failed write.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from kio.schema.errors import ErrorCode

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.partition_manager import PartitionManager
from core.common.clock import Clock
from core.groups.completion import Completion
from core.groups.offsets import KV
from core.groups.router import OFFSETS_TOPIC
from core.model.records import Record, build_batch

log = logging.getLogger(__name__)

QUEUED_APPENDS_MAX = 10_000  # per partition
BATCH_BYTES_MAX = 512 * 1024  # below the topic's default max.message.bytes of 1 MiB

_CLUSTER_TO_KAFKA = {
    ClusterErrc.not_leader: ErrorCode.not_coordinator,
    ClusterErrc.partition_not_found: ErrorCode.not_coordinator,
    ClusterErrc.shutting_down: ErrorCode.not_coordinator,
    ClusterErrc.message_too_large: ErrorCode.unknown_server_error,
    ClusterErrc.invalid_record: ErrorCode.unknown_server_error,
}


Producer = tuple[int, int] | None  # (producer id, epoch) of a transaction's records


def _size(records: list[KV]) -> int:
    return sum(len(k) + len(v or b"") + 16 for k, v in records)


class PartitionJournal:
    def __init__(
        self, partitions: PartitionManager, clock: Clock, topic: str = OFFSETS_TOPIC
    ) -> None:
        self._partitions = partitions
        self._clock = clock
        self._topic = topic
        self._queues: dict[int, deque[tuple[list[KV], Completion[ErrorCode], Producer]]] = {}
        self._writers: dict[int, asyncio.Task] = {}
        self._closed = False

    def append(
        self, partition: int, records: list[KV], producer: Producer = None
    ) -> Completion[ErrorCode]:
        """`producer` (id, epoch): the records are a transaction's (TxnOffsetCommit), written
        as a batch of their own with the producer and the transactional flag, as Kafka does."""
        assert records, "an append carries at least one record"
        completion: Completion[ErrorCode] = Completion()
        queue = self._queues.setdefault(partition, deque())
        if self._closed or len(queue) >= QUEUED_APPENDS_MAX:
            completion.resolve(ErrorCode.coordinator_not_available)
            return completion
        queue.append((records, completion, producer))
        writer = self._writers.get(partition)
        if writer is None or writer.done():
            self._writers[partition] = asyncio.get_running_loop().create_task(
                self._drain(partition), name=f"groups-journal-{partition}"
            )
        return completion

    async def _drain(self, partition: int) -> None:
        queue = self._queues[partition]
        while queue:  # bounded: every pass removes at least one append
            taken = [queue.popleft()]
            producer = taken[0][2]
            size = _size(taken[0][0])
            while (
                producer is None
                and queue
                and queue[0][2] is None
                and size + _size(queue[0][0]) <= BATCH_BYTES_MAX
            ):
                size += _size(queue[0][0])
                taken.append(queue.popleft())
            error = ErrorCode.coordinator_not_available
            try:
                records = [r for records, _, _ in taken for r in records]
                error = await self._write(partition, records, producer)
            finally:  # cancelled writes are answered too
                for _, completion, _ in taken:
                    completion.resolve(error)

    async def _write(self, partition: int, records: list[KV], producer: Producer) -> ErrorCode:
        target = self._partitions.get(self._topic, partition)
        if target is None:
            return ErrorCode.not_coordinator
        now_ms = self._clock.now_ms()
        items = [Record(key=k, value=v, timestamp_ms=now_ms) for k, v in records]
        if producer is None:
            batch = build_batch(items)
        else:
            pid, epoch = producer
            batch = build_batch(items, producer_id=pid, producer_epoch=epoch, transactional=True)
        try:
            await target.replicate(batch, acks=-1)
        except ClusterError as exc:
            log.warning("%s/%d: write failed: %s", self._topic, partition, exc)
            return _CLUSTER_TO_KAFKA.get(exc.errc, ErrorCode.coordinator_not_available)
        except Exception:  # the I/O edge: every append must still be answered
            log.exception("%s/%d: write failed", self._topic, partition)
            return ErrorCode.coordinator_not_available
        return ErrorCode.none

    async def close(self, timeout_s: float = 5.0) -> None:
        """Stop taking appends; let queued ones finish for up to `timeout_s`."""
        self._closed = True
        writers = [w for w in self._writers.values() if not w.done()]
        if writers:
            _, pending = await asyncio.wait(writers, timeout=timeout_s)
            for writer in pending:
                writer.cancel()
        for queue in self._queues.values():
            while queue:
                queue.popleft()[1].resolve(ErrorCode.coordinator_not_available)
