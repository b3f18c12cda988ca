"""Produce (0): validate each partition's batch, append it in request order, wait for acks.

The synchronous part of `handle` (everything before the first await) appends every
partition's batch, so batches from one connection keep their request order.
"""

from __future__ import annotations

import asyncio

from core.cluster.errors import ClusterError
from core.common import metrics
from core.model.batch import BatchError
from core.protocol.errors import ErrorCode
from core.raft.errors import RaftError
from core.server.connection import NO_RESPONSE
from core.server.entities import ZERO, build, module_of
from core.server.errors import error_message, to_error_code

API_KEY = 0
MIN_VERSION = 3
MAX_VERSION = 9

_ACKS = (-1, 0, 1)


async def handle(ctx, request):
    m = module_of(ctx.response_class)
    acks = request.acks
    results: list[tuple[str, list]] = []
    waits: list[tuple[list, int, asyncio.Future]] = []
    for topic in request.topic_data:
        partitions: list = []
        results.append((topic.name, partitions))
        for pdata in topic.partition_data:
            partitions.append(_append_one(ctx, topic.name, pdata, acks, waits))
    if acks == 0:
        return NO_RESPONSE
    if waits:
        await _wait_for_acks(waits, request.timeout.total_seconds())
    topics = tuple(
        build(
            m.TopicProduceResponse,
            name=name,
            partition_responses=tuple(
                build(
                    m.PartitionProduceResponse,
                    index=r[0],
                    error_code=r[1],
                    base_offset=r[2],
                    log_append_time=None,
                    log_start_offset=r[3],
                    record_errors=(),
                    error_message=r[4],
                )
                for r in rows
            ),
        )
        for name, rows in results
    )
    return build(ctx.response_class, responses=topics, throttle_time=ZERO)


def _append_one(ctx, topic: str, pdata, acks: int, waits: list) -> list:
    """Returns a mutable row [index, error, base_offset, log_start_offset, message]."""
    svc = ctx.services
    if acks not in _ACKS:
        return [pdata.index, ErrorCode.invalid_required_acks, -1, -1, "acks must be -1, 0 or 1"]
    partition = svc.partitions.get(topic, pdata.index)
    if partition is None:
        return [pdata.index, ErrorCode.unknown_topic_or_partition, -1, -1, None]
    records = pdata.records
    if not records:
        return [pdata.index, ErrorCode.invalid_record, -1, -1, "empty record set"]
    try:
        result = partition.produce(records, acks)
    except (ClusterError, BatchError, RaftError) as exc:
        return [pdata.index, to_error_code(exc), -1, -1, error_message(exc)]
    metrics.add_bytes_produced(topic, len(records))
    row = [pdata.index, ErrorCode.none, result.base_offset, partition.start_offset, None]
    if result.pending is not None:
        waits.append((row, result.base_offset, result.pending.done))
    return row


async def _wait_for_acks(waits: list, timeout_s: float) -> None:
    futures = [fut for _, _, fut in waits]
    done, _pending = await asyncio.wait(futures, timeout=max(timeout_s, 0.001))
    for row, _base, fut in waits:
        if fut not in done:
            row[1], row[2], row[4] = (
                ErrorCode.request_timed_out,
                -1,
                "timed out waiting for acks=all",
            )
        elif fut.exception() is not None:
            row[1], row[2], row[4] = to_error_code(fut.exception()), -1, str(fut.exception())
