"""ListOffsets (2): earliest, latest and by-timestamp offset lookups.

v7 adds MAX_TIMESTAMP (KIP-734), v8 EARLIEST_LOCAL and v9 LATEST_TIERED (KIP-405/1005),
v10 a timeout for tiered reads, v11 EARLIEST_PENDING_UPLOAD (KIP-1023). Without tiered
storage the local log is the whole log: EARLIEST_LOCAL is EARLIEST, and the tiered
lookups find nothing (offset -1), as Kafka answers when remote storage is off.

isolation_level=1 (read_committed): LATEST is the last stable offset, and a lookup by time
or MAX_TIMESTAMP that lands at or past it finds nothing (offset -1), as Kafka answers.
"""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._leader import led_partition
from core.server.responses import ZERO, build, module_of

API_KEY = 2
MIN_VERSION = 1
MAX_VERSION = 11

LATEST = -1
EARLIEST = -2
MAX_TIMESTAMP = -3
EARLIEST_LOCAL = -4
LATEST_TIERED = -5
EARLIEST_PENDING_UPLOAD = -6
NOT_TIERED = (LATEST_TIERED, EARLIEST_PENDING_UPLOAD)
READ_COMMITTED = 1


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    committed = getattr(request, "isolation_level", 0) == READ_COMMITTED
    topics = []
    for topic in request.topics:
        rows = [_one(ctx, m, topic.name, p, committed) for p in topic.partitions]
        topics.append(build(m.ListOffsetsTopicResponse, name=topic.name, partitions=tuple(rows)))
    return build(ctx.response_class, throttle_time=ZERO, topics=tuple(topics))


def _one(ctx: RequestContext, m, topic: str, p, committed: bool):
    def row(error: ErrorCode, offset: int = -1, timestamp: int = -1, epoch: int = -1):
        return build(
            m.ListOffsetsPartitionResponse,
            partition_index=p.partition_index,
            error_code=error,
            timestamp=timestamp,
            offset=offset,
            leader_epoch=epoch,
        )

    if not ctx.authorized("DESCRIBE", "TOPIC", topic):
        return row(ErrorCode.topic_authorization_failed)
    partition, error = led_partition(ctx.services, topic, p.partition_index)
    if partition is None:
        return row(error)
    epoch = partition.leader_epoch
    requested = getattr(p, "current_leader_epoch", -1)
    if requested >= 0 and requested != epoch:
        return row(
            ErrorCode.fenced_leader_epoch if requested < epoch else ErrorCode.unknown_leader_epoch
        )
    if p.timestamp in (EARLIEST, EARLIEST_LOCAL):
        return row(ErrorCode.none, partition.start_offset, -1, epoch)
    if p.timestamp == LATEST:
        end = partition.last_stable_offset if committed else partition.high_watermark
        return row(ErrorCode.none, end, -1, epoch)
    stable = partition.last_stable_offset if committed else None
    if p.timestamp == MAX_TIMESTAMP:
        found = partition.max_timestamp_query()
        if found is None or (stable is not None and found[0] >= stable):
            return row(ErrorCode.none, -1, -1, epoch)
        return row(ErrorCode.none, found[0], found[1], epoch)
    if p.timestamp in NOT_TIERED:
        return row(ErrorCode.none, -1, -1, -1)
    if p.timestamp < 0:
        return row(ErrorCode.unsupported_version)
    found = partition.timequery(p.timestamp)
    if found is None:
        return row(ErrorCode.none, -1, -1, epoch)
    offset, timestamp = found if isinstance(found, tuple) else (found, p.timestamp)
    if stable is not None and offset >= stable:
        return row(ErrorCode.none, -1, -1, epoch)
    return row(ErrorCode.none, offset, timestamp, epoch)
