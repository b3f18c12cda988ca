"""Writing audit records into `_redpanda.audit_log`: creating the topic, then appending.

The topic is created as Redpanda's audit client creates it: `audit_log_num_partitions`
partitions, `audit_log_replication_factor` replicas (null: the internal topics' factor, at
most the members, odd), retention.bytes -1 and retention.ms 7 days. Records carry the event's
JSON as value and no key (Redpanda's audit client sets only the value).

Appends go to the partitions this broker leads, round robin, straight through the partition
facade (no loopback Kafka client, so no credentials are needed with SASL on). At most
`audit_client_max_buffer_size` bytes are appended and not yet acknowledged (acks=all); past it
`write` waits, off the request path (the drain loop awaits it), as Redpanda's client semaphore.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from core.cluster.errors import ClusterErrc, ClusterError
from core.model.records import Record, build_batch

log = logging.getLogger("ailurus.audit")

AUDIT_TOPIC = "_redpanda.audit_log"
SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000
TOPIC_CONFIGS = {"retention.bytes": "-1", "retention.ms": str(SEVEN_DAYS_MS)}
MAX_BATCH_BYTES = 512 * 1024  # under the default max.message.bytes of 1 MiB
ACK_TIMEOUT_S = 30.0


class NoLocalLeader(Exception):
    """No partition of the audit topic is led here (yet)."""


class AuditWriter:
    def __init__(
        self,
        topics: Any,  # core.cluster.topics.TopicsFrontend
        partitions: Any,  # core.cluster.partition_manager.PartitionManager
        get: Callable[[str], Any],
        member_count: Callable[[], int],
    ) -> None:
        self._topics = topics
        self._partitions = partitions
        self._get = get
        self._member_count = member_count
        self._next = 0
        self.in_flight_bytes = 0
        self._freed = asyncio.Event()
        self._acks: set[asyncio.Task] = set()
        self.written = 0  # records acknowledged
        self.dropped = 0  # records whose append failed

    # ---- the topic ---------------------------------------------------------------------------
    def replication_factor(self) -> int:
        wanted = self._get("audit_log_replication_factor")
        if wanted is None:
            wanted = int(self._get("internal_topic_replication_factor"))
        rf = min(int(wanted), max(self._member_count(), 1))
        return rf if rf % 2 == 1 else rf - 1

    async def ensure_topic(self) -> int:
        """Create the topic unless it exists; its partition count."""
        if self._topics.table.get(AUDIT_TOPIC) is None:
            partitions = int(self._get("audit_log_num_partitions"))
            try:
                await self._topics.create_topic(
                    AUDIT_TOPIC, partitions, self.replication_factor(), dict(TOPIC_CONFIGS)
                )
                log.info("created %s with %d partitions", AUDIT_TOPIC, partitions)
            except ClusterError as exc:
                if exc.errc is not ClusterErrc.topic_already_exists:
                    raise
        meta = self._topics.table.get(AUDIT_TOPIC)
        return 0 if meta is None else meta.partitions

    def _leader_partition(self) -> Any:
        meta = self._topics.table.get(AUDIT_TOPIC)
        count = 0 if meta is None else meta.partitions
        for i in range(count):
            index = (self._next + i) % count
            part = self._partitions.get(AUDIT_TOPIC, index)
            if part is not None and part.is_leader:
                self._next = index + 1
                return part
        raise NoLocalLeader(AUDIT_TOPIC)

    def ready(self) -> bool:
        try:
            self._leader_partition()
        except NoLocalLeader:
            return False
        return True

    # ---- appends -----------------------------------------------------------------------------
    async def write(self, values: list[bytes]) -> int:
        """Append the records (in batches), each batch once the client buffer has room; how
        many were handed to a partition (fewer when no partition is led here any more)."""
        handed = 0
        for chunk in _chunks(values):
            size = sum(len(v) for v in chunk)
            await self._room_for(size)
            try:
                part = self._leader_partition()
            except NoLocalLeader:
                return handed
            handed += len(chunk)
            batch = build_batch([Record(key=None, value=v) for v in chunk])
            try:
                result = part.produce(batch, -1)
            except Exception as exc:  # a leadership change between the check and the append
                self.dropped += len(chunk)
                log.error("%d audit records dropped: %r", len(chunk), exc)
                continue
            self._track(result.acked, size, len(chunk))
            await asyncio.sleep(0)  # one batch built per event-loop turn
        return handed

    async def _room_for(self, size: int) -> None:
        limit = int(self._get("audit_client_max_buffer_size"))
        while self.in_flight_bytes and self.in_flight_bytes + size > limit:
            self._freed.clear()
            await self._freed.wait()

    def _track(self, acked: asyncio.Future | None, size: int, count: int) -> None:
        if acked is None:
            self.written += count
            return
        self.in_flight_bytes += size
        task = asyncio.create_task(self._settle(acked, size, count))
        self._acks.add(task)
        task.add_done_callback(self._acks.discard)

    async def _settle(self, acked: asyncio.Future, size: int, count: int) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(acked), ACK_TIMEOUT_S)
            self.written += count
        except Exception as exc:
            self.dropped += count
            log.error("%d audit records not acknowledged: %r", count, exc)
        finally:
            self.in_flight_bytes -= size
            self._freed.set()

    async def flush(self, timeout_s: float) -> None:
        """Wait (at most `timeout_s`) for the appends in flight."""
        if self._acks:
            await asyncio.wait(set(self._acks), timeout=timeout_s)


def _chunks(values: list[bytes]) -> list[list[bytes]]:
    out: list[list[bytes]] = []
    size = 0
    for value in values:
        if not out or size + len(value) > MAX_BATCH_BYTES:
            out.append([])
            size = 0
        out[-1].append(value)
        size += len(value)
    return out
