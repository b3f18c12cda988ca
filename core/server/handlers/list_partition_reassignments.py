"""ListPartitionReassignments (46): the moves in progress (all, or of the partitions asked
for), with Kafka's replicas (previous ∪ target), adding and removing replicas. Needs
DESCRIBE on CLUSTER."""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 46
MIN_VERSION = 0
MAX_VERSION = 0


def _wanted(request: Any) -> set[tuple[str, int]] | None:
    if request.topics is None:
        return None
    return {(t.name, int(p)) for t in request.topics for p in t.partition_indexes}


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    runtime = ctx.services.replica_moves
    if not ctx.authorized("DESCRIBE", "CLUSTER", "kafka-cluster") or runtime is None:
        code = ErrorCode.cluster_authorization_failed if runtime else ErrorCode.invalid_request
        return build(
            ctx.response_class, throttle_time=ZERO, error_code=code, error_message=None, topics=()
        )
    wanted = _wanted(request)
    by_topic: dict[str, list] = {}
    for move in runtime.table.all():
        if wanted is not None and (move.topic, move.partition) not in wanted:
            continue
        by_topic.setdefault(move.topic, []).append(
            build(
                m.OngoingPartitionReassignment,
                partition_index=move.partition,
                replicas=move.hosts,
                adding_replicas=move.adding,
                removing_replicas=move.removing,
            )
        )
    topics = tuple(
        build(m.OngoingTopicReassignment, name=name, partitions=tuple(parts))
        for name, parts in sorted(by_topic.items())
    )
    return build(
        ctx.response_class,
        throttle_time=ZERO,
        error_code=ErrorCode.none,
        error_message=None,
        topics=topics,
    )
