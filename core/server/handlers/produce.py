"""Produce (0): validate each partition's batch, append it in request order, wait for acks.

The synchronous part of `handle` (everything before the first await) appends every
partition's batch, so batches from one connection keep their request order.

A batch Kafka's LogValidator would refuse (core.model.validation) is answered with its
Kafka error (INVALID_RECORD, INVALID_TIMESTAMP, CORRUPT_MESSAGE), the message and, from
v8, the per-record errors; nothing of it is appended. Topics named in the cluster
property `kafka_noproduce_topics` answer TOPIC_AUTHORIZATION_FAILED, as Redpanda does.

Transactional batches need the request's transactional id (and WRITE on it when
authorization is on), else TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka answers; the
partition then opens the producer's transaction (core.cluster.producer_state). A batch of an
older producer epoch is INVALID_PRODUCER_EPOCH, a non-transactional batch from a producer
whose transaction is open INVALID_TXN_STATE.
"""

from __future__ import annotations

import asyncio
from typing import Any

from core.cluster.errors import ClusterError, error_message, to_error_code
from core.common import metrics
from core.model.batch import ATTR_TRANSACTIONAL, HEADER_SIZE, BatchError
from core.model.validation import (
    CORRUPT_MESSAGE,
    INVALID_RECORD,
    INVALID_TIMESTAMP,
    InvalidBatch,
)
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._leader import led_partition
from core.server.responses import NO_RESPONSE, ZERO, build, module_of

API_KEY = 0
MIN_VERSION = 3
MAX_VERSION = 9

_ACKS = (-1, 0, 1)
_INVALID_BATCH_CODES = {
    INVALID_RECORD: ErrorCode.invalid_record,
    INVALID_TIMESTAMP: ErrorCode.invalid_timestamp,
    CORRUPT_MESSAGE: ErrorCode.corrupt_message,
}


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    acks = request.acks
    results: list[tuple[str, list]] = []
    waits: list[tuple[list, int, asyncio.Future]] = []
    noproduce = ctx.services.cluster_config.get("kafka_noproduce_topics") or ()
    transactional_id = getattr(request, "transactional_id", None)
    for topic in request.topic_data:
        partitions: list = []
        results.append((topic.name, partitions))
        allowed = ctx.authorized("WRITE", "TOPIC", topic.name)
        for pdata in topic.partition_data:
            if topic.name in noproduce or not allowed:
                row = _error_row(pdata.index, ErrorCode.topic_authorization_failed, None)
            else:
                row = _append_one(ctx, topic.name, pdata, acks, waits, transactional_id)
            partitions.append(row)
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
                    record_errors=_record_errors(m, r[5]),
                    error_message=r[4],
                )
                for r in rows
            ),
        )
        for name, rows in results
    )
    return build(ctx.response_class, responses=topics, throttle_time=ZERO)


def _error_row(index: int, code: ErrorCode, message: str | None, record_errors=()) -> list:
    return [index, code, -1, -1, message, record_errors]


def _record_errors(m, errors) -> tuple:
    """Per-record errors as BatchIndexAndErrorMessage entities (Produce v8+)."""
    entity = getattr(m, "BatchIndexAndErrorMessage", None)
    if entity is None or not errors:
        return ()
    return tuple(
        build(entity, batch_index=e.batch_index, batch_index_error_message=e.message)
        for e in errors
    )


def _append_one(
    ctx: RequestContext, topic: str, pdata, acks: int, waits: list, transactional_id: str | None
) -> list:
    """A mutable row [index, error, base_offset, log_start_offset, message, record_errors]."""
    svc = ctx.services
    if acks not in _ACKS:
        return _error_row(pdata.index, ErrorCode.invalid_required_acks, "acks must be -1, 0 or 1")
    partition, error = led_partition(svc, topic, pdata.index)
    if partition is None:
        return _error_row(pdata.index, error, None)
    records = pdata.records
    if not records:
        return _error_row(pdata.index, ErrorCode.invalid_record, "empty record set")
    if _transactional(records) and not _may_write_txn(ctx, transactional_id):
        return _error_row(
            pdata.index,
            ErrorCode.transactional_id_authorization_failed,
            "transactional records need an authorized transactional id",
        )
    try:
        result = partition.produce(records, acks)
    except InvalidBatch as exc:
        code = _INVALID_BATCH_CODES[exc.kind]
        return _error_row(pdata.index, code, exc.message, exc.record_errors)
    except (ClusterError, BatchError) as exc:
        return _error_row(pdata.index, to_error_code(exc), error_message(exc))
    metrics.add_bytes_produced(topic, len(records))
    row = [pdata.index, ErrorCode.none, result.base_offset, partition.start_offset, None, ()]
    if result.acked is not None:
        waits.append((row, result.base_offset, result.acked))
    return row


def _transactional(records: bytes | bytearray | memoryview) -> bool:
    """The transactional bit of the (first) batch's attributes, read without parsing."""
    return len(records) >= HEADER_SIZE and bool(records[22] & ATTR_TRANSACTIONAL)


def _may_write_txn(ctx: RequestContext, transactional_id: str | None) -> bool:
    return transactional_id is not None and ctx.authorized(
        "WRITE", "TRANSACTIONAL_ID", transactional_id
    )


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
