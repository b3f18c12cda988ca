"""DeleteRecords (21): move a partition's log start offset forward, on every replica.

The leader proposes the new start; it becomes the partition's start (what ListOffsets and
Fetch show) once a majority of replicas hold it (core.raft.log_start), and only then is
the client answered with it as the low watermark, as Kafka answers once its replicas have
it. Partitions of one request wait together, up to the request's timeout
(REQUEST_TIMED_OUT); a leader that steps down meanwhile answers NOT_LEADER_OR_FOLLOWER.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from core.cluster.errors import ClusterError, to_error_code
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._leader import led_partition
from core.server.ports import PartitionData
from core.server.responses import ZERO, build, module_of

API_KEY = 21
MIN_VERSION = 0
MAX_VERSION = 2

HIGH_WATERMARK = -1  # offset -1 means "up to the high watermark"


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    timeout_s = _seconds(request.timeout)
    topics: list[tuple[str, list[list]]] = []
    waits = []
    for t in request.topics:
        rows: list[list] = []
        topics.append((t.name, rows))
        allowed = ctx.authorized("DELETE", "TOPIC", t.name)
        for p in t.partitions:
            row = [p.partition_index, -1, ErrorCode.topic_authorization_failed]
            rows.append(row)
            if allowed:
                waits.extend(_propose(ctx, t.name, p, row, timeout_s))
    if waits:
        await asyncio.gather(*waits)
    return build(
        ctx.response_class,
        throttle_time=ZERO,
        topics=tuple(
            build(
                m.DeleteRecordsTopicResult,
                name=name,
                partitions=tuple(
                    build(
                        m.DeleteRecordsPartitionResult,
                        partition_index=r[0],
                        low_watermark=r[1],
                        error_code=r[2],
                    )
                    for r in rows
                ),
            )
            for name, rows in topics
        ),
    )


def _propose(ctx: RequestContext, topic: str, p: Any, row: list, timeout_s: float) -> list:
    """Propose the new start; fill `row` [index, low watermark, error] now, or return the
    wait that fills it."""
    partition, code = led_partition(ctx.services, topic, p.partition_index)
    if partition is None:
        row[2] = code
        return []
    offset = partition.high_watermark if p.offset == HIGH_WATERMARK else p.offset
    try:
        partition.prefix_truncate(offset)  # past the high watermark: OFFSET_OUT_OF_RANGE
    except ClusterError as exc:
        row[2] = to_error_code(exc)  # low watermark -1: Kafka's INVALID_LOW_WATERMARK on errors
        return []
    if partition.start_offset >= offset:
        row[1], row[2] = partition.start_offset, ErrorCode.none
        return []
    return [_await_start(ctx, topic, partition, offset, row, timeout_s)]


async def _await_start(
    ctx: RequestContext, topic: str, partition: PartitionData, offset: int, row: list, timeout_s
) -> None:
    """Until a majority holds the new start (it is applied here then), this replica stops
    leading, or the timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    moved = asyncio.Event()
    partition.add_listener(moved.set)  # called when the start (or high watermark) moves
    try:
        while partition.start_offset < offset:
            _, code = led_partition(ctx.services, topic, partition.index)
            if code != ErrorCode.none:
                row[2] = code
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                row[2] = ErrorCode.request_timed_out
                return
            moved.clear()
            try:
                await asyncio.wait_for(moved.wait(), remaining)
            except TimeoutError:
                pass
        row[1], row[2] = partition.start_offset, ErrorCode.none
    finally:
        partition.remove_listener(moved.set)


def _seconds(timeout: Any) -> float:
    if isinstance(timeout, timedelta):
        return max(timeout.total_seconds(), 0.0)
    return max(int(timeout or 0), 0) / 1000
