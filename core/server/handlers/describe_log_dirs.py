"""DescribeLogDirs (35): partition sizes in the data directory, and its capacity."""

from __future__ import annotations

import os
from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 35
MIN_VERSION = 1
MAX_VERSION = 4


async def handle(ctx: RequestContext, request: Any) -> Any:
    svc = ctx.services
    m = module_of(ctx.response_class)
    if not ctx.authorized("DESCRIBE", "CLUSTER", "kafka-cluster"):
        return build(
            ctx.response_class,
            throttle_time=ZERO,
            error_code=ErrorCode.cluster_authorization_failed,
            results=(),
        )
    wanted = None
    if request.topics is not None:
        wanted = {t.topic: set(t.partitions) for t in request.topics}
    by_topic: dict[str, list] = {}
    for partition in sorted(svc.partitions.all(), key=lambda p: (p.topic, p.index)):
        if wanted is not None and partition.index not in wanted.get(partition.topic, ()):
            continue
        by_topic.setdefault(partition.topic, []).append(
            build(
                m.DescribeLogDirsPartition,
                partition_index=partition.index,
                partition_size=partition.size_bytes,
                offset_lag=0,
                is_future_key=False,
            )
        )
    topics = tuple(
        build(m.DescribeLogDirsTopic, name=name, partitions=tuple(rows))
        for name, rows in by_topic.items()
    )
    stat = os.statvfs(svc.data_dir)
    result = build(
        m.DescribeLogDirsResult,
        error_code=ErrorCode.none,
        log_dir=str(svc.data_dir),
        topics=topics,
        total_bytes=stat.f_blocks * stat.f_frsize,
        usable_bytes=stat.f_bavail * stat.f_frsize,
    )
    return build(
        ctx.response_class, throttle_time=ZERO, error_code=ErrorCode.none, results=(result,)
    )
