"""CreatePartitions (37): grow a topic's partition count, with explicit replica assignments
(one per new partition: validated as placement.validate does, INVALID_REPLICA_ASSIGNMENT /
INVALID_PARTITIONS) or placed by the topics frontend."""

from __future__ import annotations

import datetime
from typing import Any

from core.cluster import placement
from core.cluster.errors import ClusterErrc, ClusterError, error_message, to_error_code
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.quotas import MUTATIONS_REFUSED, mutations_owed_ms
from core.server.responses import ZERO, build, module_of

API_KEY = 37
MIN_VERSION = 0
MAX_VERSION = 3
THROTTLING_VERSION = 3  # clients from v3 understand THROTTLING_QUOTA_EXCEEDED (KIP-599)


def _assignments(topic: Any) -> list[list[int]] | None:
    """The explicit replicas of each new partition (None: placement decides)."""
    if not topic.assignments:
        return None
    return [[int(n) for n in a.broker_ids] for a in topic.assignments]


def _validate(ctx: RequestContext, name: str, count: int, assignments: list[list[int]]) -> None:
    """Kafka's checks: one assignment per new partition, each as wide as the existing ones,
    members only, no node twice (ClusterError: INVALID_REPLICA_ASSIGNMENT)."""
    meta = ctx.services.metadata.topic(name)
    if meta is None:
        return  # check_create_partitions answers UNKNOWN_TOPIC_OR_PARTITION
    added = count - meta.partitions
    if len(assignments) != added:
        raise ClusterError(
            ClusterErrc.invalid_replica_assignment,
            f"increasing the number of partitions by {added} but {len(assignments)} "
            "assignments provided",
        )
    width = len(meta.assignments[0]) if meta.assignments else meta.replication_factor
    for i, nodes in enumerate(assignments):
        if len(nodes) != width:
            raise ClusterError(
                ClusterErrc.invalid_replica_assignment,
                f"inconsistent replication factor: new partition {meta.partitions + i} has "
                f"{len(nodes)} replicas, the topic {width}",
            )
    members = [b.node_id for b in ctx.services.metadata.brokers()]
    placement.validate(assignments, members, added)


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    results = []
    throttle_ms = 0  # the largest controller_mutation_rate throttle time of the topics
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
            assignments = _assignments(t)
            ctx.services.topics.check_create_partitions(t.name, t.count)
            if assignments is not None:
                _validate(ctx, t.name, t.count, assignments)
            owed = 0 if request.validate_only else _mutations_owed(ctx, t.name, t.count)
            if owed:  # Redpanda: refused while its client's mutation budget owes
                throttle_ms = max(throttle_ms, owed)
                code = ErrorCode.throttling_quota_exceeded
                if ctx.api_version < THROTTLING_VERSION:
                    code = ErrorCode.unknown_server_error
                results.append(
                    build(
                        m.CreatePartitionsTopicResult,
                        name=t.name,
                        error_code=code,
                        error_message=MUTATIONS_REFUSED,
                    )
                )
                continue
            if not request.validate_only:
                await ctx.services.topics.create_partitions(t.name, t.count, assignments)
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
    throttle = datetime.timedelta(milliseconds=throttle_ms) if throttle_ms else ZERO
    return build(ctx.response_class, throttle_time=throttle, results=tuple(results))


def _mutations_owed(ctx: RequestContext, name: str, count: int) -> int:
    """The partitions added count against the client's controller_mutation_rate."""
    meta = ctx.services.metadata.topic(name)
    return mutations_owed_ms(ctx, count - meta.partitions) if meta is not None else 0
