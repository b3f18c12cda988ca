"""OffsetFetch (9): a group's committed positions; `topics=null` (v2+) means all."""

from __future__ import annotations

from typing import Any

from core.groups.results import FetchedOffset
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 9
MIN_VERSION = 1
MAX_VERSION = 7


async def handle(ctx: RequestContext, request: Any) -> Any:
    groups = ctx.services.groups
    wanted = None
    if request.topics is not None:
        wanted = [(t.name, p) for t in request.topics for p in t.partition_indexes]
    if not ctx.authorized("DESCRIBE", "GROUP", request.group_id):
        return _response(ctx, ErrorCode.group_authorization_failed, wanted, ())
    # v7+ require_stable: a partition with offsets pending in an open transaction answers
    # UNSTABLE_OFFSET_COMMIT (retriable) instead of the last stable offset
    result = groups.fetch_offsets(
        request.group_id, wanted, getattr(request, "require_stable", False)
    )
    offsets = tuple(o for o in result.offsets if ctx.authorized("DESCRIBE", "TOPIC", o.topic))
    return _response(ctx, result.error, wanted, offsets)


def _response(ctx: RequestContext, error: ErrorCode, wanted, offsets: tuple[FetchedOffset, ...]):
    if error is not ErrorCode.none and ctx.api_version < 2:
        # v1 has no top-level error: every requested partition carries it
        offsets = tuple(FetchedOffset(t, p, error=error) for t, p in wanted or [])
    m = module_of(ctx.response_class)
    by_topic: dict[str, list] = {}
    for o in offsets:
        by_topic.setdefault(o.topic, []).append(
            build(
                m.OffsetFetchResponsePartition,
                partition_index=o.partition,
                committed_offset=o.offset,
                committed_leader_epoch=o.leader_epoch,
                metadata=o.metadata if o.metadata is not None else "",
                error_code=o.error,
            )
        )
    topics = tuple(
        build(m.OffsetFetchResponseTopic, name=name, partitions=tuple(parts))
        for name, parts in by_topic.items()
    )
    return build(ctx.response_class, throttle_time=ZERO, topics=topics, error_code=error)
