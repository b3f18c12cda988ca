"""OffsetCommit (8): store a group's consumed positions.

Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION; the rest go to the
coordinator, which answers once the commit is replicated (acks=-1).
"""

from __future__ import annotations

from typing import Any

from core.groups.offsets import CommitParams
from core.groups.results import OffsetCommitItem
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 8
MIN_VERSION = 2  # kio has no schema for v0-v1
MAX_VERSION = 8
PARTITIONS_PER_REQUEST_MAX = 100_000


async def handle(ctx: RequestContext, request: Any) -> Any:
    groups = ctx.services.groups
    wanted = [(t.name, p) for t in request.topics for p in t.partitions]
    errors: dict[tuple[str, int], ErrorCode] = {}
    if len(wanted) > PARTITIONS_PER_REQUEST_MAX:
        errors = {(name, p.partition_index): ErrorCode.invalid_request for name, p in wanted}
    elif not ctx.authorized("READ", "GROUP", request.group_id):
        denied = ErrorCode.group_authorization_failed
        errors = {(name, p.partition_index): denied for name, p in wanted}
    else:
        errors = await _commit(ctx, groups, request, wanted)
    m = module_of(ctx.response_class)
    topics = tuple(
        build(
            m.OffsetCommitResponseTopic,
            name=t.name,
            partitions=tuple(
                build(
                    m.OffsetCommitResponsePartition,
                    partition_index=p.partition_index,
                    error_code=errors[(t.name, p.partition_index)],
                )
                for p in t.partitions
            ),
        )
        for t in request.topics
    )
    return build(ctx.response_class, throttle_time=ZERO, topics=topics)


async def _commit(ctx: RequestContext, groups, request, wanted) -> dict[tuple[str, int], ErrorCode]:
    errors: dict[tuple[str, int], ErrorCode] = {}
    items = []
    for name, p in wanted:
        if not ctx.authorized("READ", "TOPIC", name):
            errors[(name, p.partition_index)] = ErrorCode.topic_authorization_failed
            continue
        meta = ctx.services.metadata.topic(name)
        if meta is None or not 0 <= p.partition_index < meta.partitions:
            errors[(name, p.partition_index)] = ErrorCode.unknown_topic_or_partition
            continue
        items.append(
            OffsetCommitItem(
                name,
                p.partition_index,
                p.committed_offset,
                getattr(p, "committed_leader_epoch", -1),
                p.committed_metadata,
            )
        )
    retention = getattr(request, "retention_time", None)
    params = CommitParams(
        group_id=request.group_id,
        items=items,
        generation_id=request.generation_id_or_member_epoch,
        member_id=request.member_id,
        group_instance_id=getattr(request, "group_instance_id", None),
        retention_ms=-1 if retention is None else round(retention.total_seconds() * 1000),
    )
    if items:
        for item, error in await groups.commit_offsets(params):
            errors[(item.topic, item.partition)] = error
    return errors
