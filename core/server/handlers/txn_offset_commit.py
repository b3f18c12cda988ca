"""TxnOffsetCommit (28): a group's offsets committed inside a transaction, sent to the GROUP
coordinator; visible to OffsetFetch once the transaction commits, never if it aborts."""

from __future__ import annotations

from typing import Any

from core.groups.offsets import CommitParams
from core.groups.results import OffsetCommitItem
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._txn import coordinator
from core.server.responses import ZERO, build, module_of

API_KEY = 28
MIN_VERSION = 0
MAX_VERSION = 4
PARTITIONS_PER_REQUEST_MAX = 100_000


async def handle(ctx: RequestContext, request: Any) -> Any:
    wanted = [(t.name, p) for t in request.topics for p in t.partitions]
    errors = await _commit(ctx, request, wanted)
    m = module_of(ctx.response_class)
    topics = tuple(
        build(
            m.TxnOffsetCommitResponseTopic,
            name=t.name,
            partitions=tuple(
                build(
                    m.TxnOffsetCommitResponsePartition,
                    partition_index=p.partition_index,
                    error_code=errors[(t.name, p.partition_index)],
                )
                for p in t.partitions
            ),
        )
        for t in request.topics
    )
    return build(ctx.response_class, throttle_time=ZERO, topics=topics)


async def _commit(ctx: RequestContext, request, wanted) -> dict[tuple[str, int], ErrorCode]:
    keys = [(name, p.partition_index) for name, p in wanted]
    txn = coordinator(ctx)
    if txn is None:
        return dict.fromkeys(keys, ErrorCode.unsupported_version)
    if len(wanted) > PARTITIONS_PER_REQUEST_MAX:
        return dict.fromkeys(keys, ErrorCode.invalid_request)
    if not ctx.authorized("WRITE", "TRANSACTIONAL_ID", request.transactional_id):
        return dict.fromkeys(keys, ErrorCode.transactional_id_authorization_failed)
    if not ctx.authorized("READ", "GROUP", request.group_id):
        return dict.fromkeys(keys, ErrorCode.group_authorization_failed)
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
    params = CommitParams(
        group_id=request.group_id,
        items=items,
        generation_id=getattr(request, "generation_id", -1),
        member_id=getattr(request, "member_id", ""),
        group_instance_id=getattr(request, "group_instance_id", None),
    )
    if items:
        outcome = await txn.txn_offset_commit(params, request.producer_id, request.producer_epoch)
        for item, error in outcome:
            errors[(item.topic, item.partition)] = error
    return errors
