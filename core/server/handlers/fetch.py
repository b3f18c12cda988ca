"""Fetch (1): long-polling reads whose record bytes go out by sendfile.

A partition's data is a byte range of one segment file (whole batches up to the high
watermark). The response is encoded by hand (core.protocol.fetch_wire) so those
ranges are never copied through Python.

isolation_level=1 (read_committed) reads up to the last stable offset instead, and lists the
aborted transactions (producer id, first offset) with data in the range returned, which the
client uses to drop their records (Kafka's FetchResponse.abortedTransactions); every
response carries the partition's last stable offset.

Follower fetching (KIP-392, core.cluster.replica_selector), with `enable_rack_awareness` on and
a consumer (replica_id -1) naming its rack in a v11+ request: the leader answers a partition
with a preferred read replica in that rack and no records when it is not in the rack itself;
a node hosting the partition as a follower serves it from its replica up to its own high
watermark (its last stable offset for read_committed), an offset in its log above that
waiting like one at the end, one past its log end OFFSET_NOT_AVAILABLE (the client goes back
to the leader, as Redpanda answers). Off, or a request without a rack: the leader alone
serves, followers answer NOT_LEADER_OR_FOLLOWER.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any, Protocol, cast

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.replica_selector import RackReads, rack_reads
from core.common import metrics
from core.protocol.errors import ErrorCode
from core.protocol.fetch_wire import FileRegion, PartitionResult, encode_fetch_response
from core.server.context import RequestContext
from core.server.handlers._leader import led_partition
from core.server.ports import PartitionData
from core.server.responses import RawResponse

API_KEY = 1
MIN_VERSION = 4
MAX_VERSION = 11

MAX_WAIT_CAP_MS = 30_000
READ_COMMITTED = 1
_OUT_OF_RANGE = ErrorCode.offset_out_of_range
_NOT_AVAILABLE = ErrorCode.offset_not_available
_NOT_LEADER = ErrorCode.not_leader_or_follower


class _TxnReads(Protocol):
    """What a read_committed fetch reads of a partition (core.cluster.partition_txn)."""

    def aborted_transactions(
        self, start_offset: int, upper_offset: int
    ) -> list[tuple[int, int]]: ...


class _Slice(Protocol):
    """The batches a read returned (core.storage.log_reads.ReadSlice)."""

    @property
    def last_offset(self) -> int: ...


async def handle(ctx: RequestContext, request: Any) -> Any:
    svc = ctx.services
    # Fetch sessions (KIP-227) exist from v7; v4-v6 have neither field.
    if getattr(request, "session_id", 0) != 0 or getattr(request, "session_epoch", -1) > 0:
        parts, _ = encode_fetch_response(
            ctx.api_version,
            ctx.correlation_id,
            [],
            error_code=ErrorCode.fetch_session_id_not_found.value,
        )
        return RawResponse(parts)
    max_bytes = min(max(request.max_bytes, 0) or 1, int(svc.cluster_config.get("fetch_max_bytes")))
    partition_cap = int(svc.cluster_config.get("kafka_max_bytes_per_fetch"))
    max_wait_ms = min(max(int(request.max_wait.total_seconds() * 1000), 0), MAX_WAIT_CAP_MS)
    deadline = time.monotonic() + max_wait_ms / 1000
    while True:
        topics, total, has_error = _collect(ctx, request, max_bytes, partition_cap)
        remaining = deadline - time.monotonic()
        if (
            total >= request.min_bytes
            or has_error
            or remaining <= 0
            or total > 0
            and request.min_bytes <= 1
        ):
            break
        _release(topics)
        await _wait_for_data(ctx, request, remaining)
    for topic, rows in topics:  # count what is sent, once
        sent = sum(row.records_size for row in rows)
        if sent:
            metrics.add_bytes_fetched(topic, sent)
    parts, _ = encode_fetch_response(ctx.api_version, ctx.correlation_id, topics)
    return RawResponse(parts)


def _collect(
    ctx: RequestContext, request, max_bytes: int, partition_cap: int
) -> tuple[list, int, bool]:
    svc = ctx.services
    committed = getattr(request, "isolation_level", 0) == READ_COMMITTED
    racks = rack_reads(request, svc.node_id, svc.cluster_config.get, svc.metadata)
    read = _read_partition if racks is None else _rack_reader(racks)  # off: unchanged path
    budget = max_bytes
    total = 0
    has_error = False
    topics = []
    for ftopic in request.topics:
        rows: list[PartitionResult] = []
        topics.append((ftopic.topic, rows))
        if not ctx.authorized("READ", "TOPIC", ftopic.topic):
            has_error = True
            denied = ErrorCode.topic_authorization_failed.value
            rows.extend(
                PartitionResult(fp.partition, denied, -1, -1, -1, None) for fp in ftopic.partitions
            )
            continue
        for fp in ftopic.partitions:
            limit = min(budget, partition_cap)  # kafka_max_bytes_per_fetch caps each partition
            row = read(svc, ftopic.topic, fp, limit, total == 0, committed)
            if row.error_code != 0:
                has_error = True
            size = row.records_size
            total += size
            budget = max(budget - size, 0)
            rows.append(row)
    if racks is not None and racks.redirected:
        has_error = True  # a preferred read replica is answered at once, as Kafka does
    return topics, total, has_error


def _rack_reader(racks: RackReads):
    """The partition reader for a consumer in a rack (the feature on): a follower hosted here
    serves it, the leader names a preferred read replica when it should read elsewhere."""

    def read(svc, topic: str, fp, budget: int, first: bool, committed: bool) -> PartitionResult:
        partition, error = led_partition(svc, topic, fp.partition)
        if partition is None:
            if error is not _NOT_LEADER:
                return PartitionResult(fp.partition, error.value, -1, -1, -1, None)
            row = _read_partition(_Hosted(svc), topic, fp, budget, first, committed)
            if row.error_code == _OUT_OF_RANGE.value and fp.fetch_offset >= row.log_start_offset:
                row.error_code = _NOT_AVAILABLE.value  # past its log end: the leader may have it
            return row
        preferred = racks.preferred(svc.partitions, topic, fp.partition, fp.fetch_offset)
        if preferred < 0:
            return _read_partition(svc, topic, fp, budget, first, committed)
        row = _read_partition(svc, topic, fp, 0, False, committed)  # the checks, no read
        if row.error_code == 0:  # no records: the client fetches from that replica
            row.preferred_read_replica, row.aborted = preferred, None
            racks.redirected = True
        return row

    return read


class _Hosted:
    """The services as a follower read sees them: `partitions.leader` is the replica hosted
    here, leader or follower (the off path reads through the leader alone, unchanged)."""

    __slots__ = ("_replicas", "partitions")

    def __init__(self, svc) -> None:
        self._replicas = svc.partitions
        self.partitions = self

    def leader(self, topic: str, index: int) -> PartitionData:
        replica = self._replicas.get(topic, index)
        if replica is None:
            raise ClusterError(ClusterErrc.not_leader, f"{topic}/{index}: not hosted here")
        return replica


def _read_partition(
    svc, topic: str, fp, budget: int, first: bool, committed: bool
) -> PartitionResult:
    partition, error = led_partition(svc, topic, fp.partition)
    if partition is None:
        return PartitionResult(fp.partition, error.value, -1, -1, -1, None)
    hwm = partition.high_watermark
    lso = partition.last_stable_offset
    start = partition.start_offset
    epoch_error = _check_epoch(fp, partition.leader_epoch)
    if epoch_error is not None:
        return PartitionResult(fp.partition, epoch_error, hwm, lso, start, None)
    offset = fp.fetch_offset
    if offset < start or offset > partition.log_end_offset:
        return PartitionResult(
            fp.partition, ErrorCode.offset_out_of_range.value, hwm, lso, start, None
        )
    limit = min(max(fp.partition_max_bytes, 0), budget)
    upper = lso if committed else hwm
    aborted: list[tuple[int, int]] | None = [] if committed else None
    if offset >= upper or (limit == 0 and not first):
        return PartitionResult(fp.partition, 0, hwm, lso, start, b"", aborted)
    try:
        read = partition.read(offset, max(limit, 1), upper_offset=upper)
    except ClusterError:  # offset_out_of_range: the log no longer holds it
        return PartitionResult(
            fp.partition, ErrorCode.offset_out_of_range.value, hwm, lso, start, None
        )
    if read is None or (read.length > limit and not first):
        return PartitionResult(fp.partition, 0, hwm, lso, start, b"", aborted)
    if committed:
        txns = cast(_TxnReads, partition)
        aborted = txns.aborted_transactions(offset, cast(_Slice, read).last_offset + 1)
    region = FileRegion(os.dup(read.fd), read.position, read.length)
    return PartitionResult(fp.partition, 0, hwm, lso, start, region, aborted)


def _check_epoch(fp, leader_epoch: int) -> int | None:
    requested = getattr(fp, "current_leader_epoch", -1)
    if requested < 0 or requested == leader_epoch:
        return None
    if requested < leader_epoch:
        return ErrorCode.fenced_leader_epoch.value
    return ErrorCode.unknown_leader_epoch.value


def _release(topics: list) -> None:
    for _, rows in topics:
        for row in rows:
            if isinstance(row.records, FileRegion):
                os.close(row.records.fd)
                row.records = None


async def _wait_for_data(ctx: RequestContext, request, timeout_s: float) -> None:
    event = asyncio.Event()
    watched = []
    for ftopic in request.topics:
        for fp in ftopic.partitions:
            partition = ctx.services.partitions.get(ftopic.topic, fp.partition)
            if partition is not None:
                partition.add_listener(event.set)
                watched.append(partition)
    try:
        await asyncio.wait_for(event.wait(), timeout=timeout_s)
    except TimeoutError:
        pass
    finally:
        for partition in watched:
            partition.remove_listener(event.set)
