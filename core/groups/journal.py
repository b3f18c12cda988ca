"""The coordinator's writes to `__consumer_offsets`, through the partition API.

One writer per partition keeps the log order equal to the order of `append`
calls and packs whatever queued up meanwhile into one batch, replicated with
acks=-1; each append's Completion resolves once its batch is committed. Partition
errors become the codes Kafka's coordinator returns for a failed write.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque

from kio.schema.errors import ErrorCode

from core.cluster.errors import ClusterErrc, ClusterError, from_raft
from core.cluster.partition_manager import PartitionManager
from core.common.clock import Clock
from core.groups.completion import Completion
from core.groups.offsets import KV
from core.groups.router import OFFSETS_TOPIC
from core.model.records import Record, build_batch
from core.raft.errors import RaftError

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
_Append = tuple[list[KV], Completion[ErrorCode], Producer]


def _size(records: list[KV]) -> int:
    return sum(len(k) + len(v or b"") + 16 for k, v in records)


class PartitionJournal:
    """A partition's writes are started by a callback scheduled from `append` (so the appends
    of one loop iteration share a batch) and by the previous write's acknowledgement: no task
    per write, one batch in flight per partition."""

    def __init__(
        self, partitions: PartitionManager, clock: Clock, topic: str = OFFSETS_TOPIC
    ) -> None:
        self._partitions = partitions
        self._clock = clock
        self._topic = topic
        self._queues: dict[int, deque[_Append]] = {}
        self._inflight: dict[int, tuple[asyncio.Future, list[_Append]]] = {}
        self._scheduled: set[int] = set()  # partitions whose next write starts this iteration
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
        if partition not in self._inflight and partition not in self._scheduled:
            self._scheduled.add(partition)
            asyncio.get_running_loop().call_soon(self._kick, partition)
        return completion

    def _kick(self, partition: int) -> None:
        self._scheduled.discard(partition)
        if partition not in self._inflight:
            self._write_next(partition)

    def _write_next(self, partition: int) -> None:
        """Start the next batch of the partition's queue (answering the ones refused at once)."""
        queue = self._queues[partition]
        while queue:  # bounded: every pass removes at least one append
            taken = _take(queue)
            error, acked = self._start(partition, taken)
            if acked is None:
                _resolve(taken, error)
                continue
            self._inflight[partition] = (acked, taken)
            acked.add_done_callback(functools.partial(self._landed, partition, taken))
            return

    def _landed(self, partition: int, taken: list[_Append], acked: asyncio.Future) -> None:
        entry = self._inflight.get(partition)
        if entry is None or entry[1] is not taken:
            return  # answered by close() already
        del self._inflight[partition]
        _resolve(taken, self._outcome(partition, acked))
        self._write_next(partition)

    def _start(
        self, partition: int, taken: list[_Append]
    ) -> tuple[ErrorCode, asyncio.Future | None]:
        """Append the batch: (NONE, its acked future), or (the error, None)."""
        target = self._partitions.get(self._topic, partition)
        if target is None:
            return ErrorCode.not_coordinator, None
        now_ms = self._clock.now_ms()
        items = [Record(key=k, value=v, timestamp_ms=now_ms) for rs, _, _ in taken for k, v in rs]
        producer = taken[0][2]
        if producer is None:
            batch = build_batch(items)
        else:
            pid, epoch = producer
            batch = build_batch(items, producer_id=pid, producer_epoch=epoch, transactional=True)
        try:
            result = target.append_internal(batch, acks=-1)
        except ClusterError as exc:
            return self._failed(partition, exc), None
        except Exception:  # the I/O edge: every append must still be answered
            log.exception("%s/%d: write failed", self._topic, partition)
            return ErrorCode.coordinator_not_available, None
        return ErrorCode.none, result.acked

    def _outcome(self, partition: int, acked: asyncio.Future) -> ErrorCode:
        if acked.cancelled():
            return ErrorCode.coordinator_not_available
        exc = acked.exception()
        if exc is None:
            return ErrorCode.none
        if isinstance(exc, RaftError):
            return self._failed(partition, from_raft(exc))
        log.error("%s/%d: write failed: %r", self._topic, partition, exc)
        return ErrorCode.coordinator_not_available

    def _failed(self, partition: int, exc: ClusterError) -> ErrorCode:
        log.warning("%s/%d: write failed: %s", self._topic, partition, exc)
        return _CLUSTER_TO_KAFKA.get(exc.errc, ErrorCode.coordinator_not_available)

    async def close(self, timeout_s: float = 5.0) -> None:
        """Stop taking appends; let queued ones finish for up to `timeout_s`."""
        self._closed = True
        if self._scheduled:
            await asyncio.sleep(0)  # the writes scheduled this iteration start first
        deadline = time.monotonic() + timeout_s
        while self._inflight and (left_s := deadline - time.monotonic()) > 0:
            await asyncio.wait([acked for acked, _ in self._inflight.values()], timeout=left_s)
        for _, taken in self._inflight.values():
            _resolve(taken, ErrorCode.coordinator_not_available)
        self._inflight.clear()
        for queue in self._queues.values():
            while queue:
                queue.popleft()[1].resolve(ErrorCode.coordinator_not_available)


def _take(queue: deque[_Append]) -> list[_Append]:
    """The next batch: a transaction's append alone, else plain appends up to
    BATCH_BYTES_MAX."""
    taken = [queue.popleft()]
    size = _size(taken[0][0])
    if taken[0][2] is not None:
        return taken
    while queue and queue[0][2] is None and size + _size(queue[0][0]) <= BATCH_BYTES_MAX:
        size += _size(queue[0][0])
        taken.append(queue.popleft())
    return taken


def _resolve(taken: list[_Append], error: ErrorCode) -> None:
    for _, completion, _ in taken:
        completion.resolve(error)
