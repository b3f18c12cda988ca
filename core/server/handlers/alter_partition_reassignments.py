"""AlterPartitionReassignments (45): move partitions' replicas, or cancel a move (null
replicas), through the moves frontend (core.cluster.move_frontend). Needs ALTER on CLUSTER."""

from __future__ import annotations

from typing import Any

from core.cluster.move_errors import MoveError
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 45
MIN_VERSION = 0
MAX_VERSION = 0


async def _one(moves: Any, topic: str, partition: int, replicas) -> tuple[ErrorCode, str | None]:
    try:
        if replicas is None:
            await moves.cancel(topic, partition)
        else:
            await moves.move(topic, partition, [int(n) for n in replicas])
    except MoveError as exc:
        return exc.code, exc.message
    return ErrorCode.none, None


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    runtime = ctx.services.replica_moves
    if not ctx.authorized("ALTER", "CLUSTER", "kafka-cluster") or runtime is None:
        code = ErrorCode.cluster_authorization_failed if runtime else ErrorCode.invalid_request
        return build(
            ctx.response_class,
            throttle_time=ZERO,
            error_code=code,
            error_message=None,
            responses=(),
        )
    topics = []
    for t in request.topics:
        results = []
        for p in t.partitions:
            code, message = await _one(runtime.frontend, t.name, p.partition_index, p.replicas)
            results.append(
                build(
                    m.ReassignablePartitionResponse,
                    partition_index=p.partition_index,
                    error_code=code,
                    error_message=message,
                )
            )
        topics.append(build(m.ReassignableTopicResponse, name=t.name, partitions=tuple(results)))
    return build(
        ctx.response_class,
        throttle_time=ZERO,
        error_code=ErrorCode.none,
        error_message=None,
        responses=tuple(topics),
    )
