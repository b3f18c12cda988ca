"""DeleteRecords (21): move a partition's log start offset forward."""

from __future__ import annotations

from typing import Any

from core.cluster.errors import ClusterError, to_error_code
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._leader import led_partition
from core.server.responses import ZERO, build, module_of

API_KEY = 21
MIN_VERSION = 0
MAX_VERSION = 2

HIGH_WATERMARK = -1  # offset -1 means "up to the high watermark"


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    topics = []
    for t in request.topics:
        rows = []
        allowed = ctx.authorized("DELETE", "TOPIC", t.name)
        for p in t.partitions:
            partition, code = None, ErrorCode.topic_authorization_failed
            if allowed:
                partition, code = led_partition(ctx.services, t.name, p.partition_index)
            if partition is None:
                rows.append(
                    build(
                        m.DeleteRecordsPartitionResult,
                        partition_index=p.partition_index,
                        low_watermark=-1,
                        error_code=code,
                    )
                )
                continue
            offset = partition.high_watermark if p.offset == HIGH_WATERMARK else p.offset
            try:
                partition.prefix_truncate(offset)  # past the high watermark: OFFSET_OUT_OF_RANGE
                code, low = ErrorCode.none, partition.start_offset
            except ClusterError as exc:
                code, low = to_error_code(exc), -1  # Kafka's INVALID_LOW_WATERMARK on errors
            rows.append(
                build(
                    m.DeleteRecordsPartitionResult,
                    partition_index=p.partition_index,
                    low_watermark=low,
                    error_code=code,
                )
            )
        topics.append(build(m.DeleteRecordsTopicResult, name=t.name, partitions=tuple(rows)))
    return build(ctx.response_class, throttle_time=ZERO, topics=tuple(topics))
