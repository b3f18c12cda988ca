"""WriteTxnMarkers (27): a transaction coordinator asks this broker to write COMMIT/ABORT
markers to the partitions it leads.

Each partition's marker goes through the partition facade's `write_txn_marker` (Seam 1 of
issue 15, core.cluster.partition_txn), the same call the coordinator makes in-process: a
control batch replicated acks=all; the partition's answer is its Kafka error code (NONE,
NOT_LEADER_OR_FOLLOWER, INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED,
REQUEST_TIMED_OUT). Unknown partitions are UNKNOWN_TOPIC_OR_PARTITION. Needs CLUSTER_ACTION
on the cluster (an inter-broker API), else CLUSTER_AUTHORIZATION_FAILED for every partition.
All markers of a request are written concurrently.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol, cast

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._leader import led_partition
from core.server.responses import build, module_of

API_KEY = 27
MIN_VERSION = 0
MAX_VERSION = 2

MARKER_TIMEOUT_MS = 10_000


class _MarkerWriter(Protocol):
    async def write_txn_marker(
        self,
        producer_id: int,
        producer_epoch: int,
        commit: bool,
        coordinator_epoch: int,
        timeout_ms: int = ...,
    ) -> ErrorCode: ...


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    allowed = ctx.authorized("CLUSTER_ACTION", "CLUSTER", "kafka-cluster")
    markers = []
    for marker in request.markers:
        topics = []
        for topic in marker.topics:
            codes = [_write(ctx, marker, topic.name, p, allowed) for p in topic.partition_indexes]
            topics.append((topic.name, topic.partition_indexes, codes))
        markers.append((marker.producer_id, topics))
    pending = [c for _, topics in markers for _, _, codes in topics for c in codes]
    results = iter(await asyncio.gather(*pending))
    out = []
    for producer_id, topics in markers:
        topic_rows = []
        for name, indexes, codes in topics:
            rows = tuple(
                build(
                    m.WritableTxnMarkerPartitionResult, partition_index=i, error_code=next(results)
                )
                for i, _ in zip(indexes, codes, strict=True)
            )
            topic_rows.append(build(m.WritableTxnMarkerTopicResult, name=name, partitions=rows))
        out.append(
            build(m.WritableTxnMarkerResult, producer_id=producer_id, topics=tuple(topic_rows))
        )
    return build(ctx.response_class, markers=tuple(out))


async def _error(code: ErrorCode) -> ErrorCode:
    return code


def _write(ctx: RequestContext, marker, topic: str, index: int, allowed: bool):
    """The coroutine answering one partition's marker."""
    if not allowed:
        return _error(ErrorCode.cluster_authorization_failed)
    partition, error = led_partition(ctx.services, topic, index)
    if partition is None:
        return _error(error)
    writer = cast(_MarkerWriter, partition)
    return writer.write_txn_marker(
        marker.producer_id,
        marker.producer_epoch,
        bool(marker.transaction_result),
        marker.coordinator_epoch,
        MARKER_TIMEOUT_MS,
    )
