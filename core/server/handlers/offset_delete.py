"""OffsetDelete (47): forget committed offsets of some partitions of a group.

Refused per partition (GROUP_SUBSCRIBED_TO_TOPIC) while an active consumer group
subscribes to the topic.
"""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 47
MIN_VERSION = 0
MAX_VERSION = 0
PARTITIONS_PER_REQUEST_MAX = 100_000


async def handle(ctx: RequestContext, request: Any) -> Any:
    groups = ctx.services.groups
    wanted = [(t.name, p.partition_index) for t in request.topics for p in t.partitions]
    if len(wanted) > PARTITIONS_PER_REQUEST_MAX:
        return build(
            ctx.response_class, throttle_time=ZERO, error_code=ErrorCode.invalid_request, topics=()
        )
    if not ctx.authorized("DELETE", "GROUP", request.group_id):
        code = ErrorCode.group_authorization_failed
        return build(ctx.response_class, throttle_time=ZERO, error_code=code, topics=())
    known = [tp for tp in wanted if _exists(ctx, *tp) and ctx.authorized("READ", "TOPIC", tp[0])]
    error, results = await groups.delete_offsets(request.group_id, known)
    if error is not ErrorCode.none:
        return build(ctx.response_class, throttle_time=ZERO, error_code=error, topics=())
    errors = dict(zip(known, results))
    m = module_of(ctx.response_class)
    topics = tuple(
        build(
            m.OffsetDeleteResponseTopic,
            name=t.name,
            partitions=tuple(
                build(
                    m.OffsetDeleteResponsePartition,
                    partition_index=p.partition_index,
                    error_code=errors.get(
                        (t.name, p.partition_index), ErrorCode.unknown_topic_or_partition
                    ),
                )
                for p in t.partitions
            ),
        )
        for t in request.topics
    )
    return build(ctx.response_class, throttle_time=ZERO, error_code=ErrorCode.none, topics=topics)


def _exists(ctx: RequestContext, topic: str, partition: int) -> bool:
    meta = ctx.services.metadata.topic(topic)
    return meta is not None and 0 <= partition < meta.partitions
