"""CreatePartitions (37): grow a topic's partition count."""

from __future__ import annotations

from typing import Any

from core.cluster.errors import ClusterError, error_message, to_error_code
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 37
MIN_VERSION = 0
MAX_VERSION = 3


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    results = []
    for t in request.topics:
        if not ctx.authorized("ALTER", "TOPIC", t.name):
            results.append(
                build(
                    m.CreatePartitionsTopicResult,
                    name=t.name,
                    error_code=ErrorCode.topic_authorization_failed,
                    error_message=None,
                )
            )
            continue
        try:
            if t.assignments:
                raise_msg = "manual replica assignment is not supported"
                results.append(
                    build(
                        m.CreatePartitionsTopicResult,
                        name=t.name,
                        error_code=ErrorCode.invalid_replica_assignment,
                        error_message=raise_msg,
                    )
                )
                continue
            if request.validate_only:
                ctx.services.topics.check_create_partitions(t.name, t.count)
            else:
                await ctx.services.topics.create_partitions(t.name, t.count)
            results.append(
                build(
                    m.CreatePartitionsTopicResult,
                    name=t.name,
                    error_code=ErrorCode.none,
                    error_message=None,
                )
            )
        except ClusterError as exc:
            results.append(
                build(
                    m.CreatePartitionsTopicResult,
                    name=t.name,
                    error_code=to_error_code(exc),
                    error_message=error_message(exc),
                )
            )
    return build(ctx.response_class, throttle_time=ZERO, results=tuple(results))
