"""CreateTopics (19): validate_only, configs, explicit replica assignments (checked as Kafka
does: placement.validate and the partition numbering here), per-topic errors."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from core.cluster import topic_config
from core.cluster.errors import ClusterError, error_message, to_error_code
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.quotas import MUTATIONS_REFUSED, mutations_owed_ms
from core.server.responses import ZERO, build, module_of

API_KEY = 19
MIN_VERSION = 2
MAX_VERSION = 7

SOURCE_DEFAULT = 5  # DEFAULT_CONFIG
SOURCE_TOPIC = 1  # DYNAMIC_TOPIC_CONFIG
CONFIGS_VERSION = 5  # the result describes the configs from v5
THROTTLING_VERSION = 6  # clients from v6 understand THROTTLING_QUOTA_EXCEEDED (KIP-599)
BOTH_SET = (
    "Both numPartitions or replicationFactor and replicasAssignments were set. "
    "Both cannot be used at the same time."
)


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    seen: dict[str, int] = {}
    for t in request.topics:
        seen[t.name] = seen.get(t.name, 0) + 1
    results = []
    throttle_ms = [0]  # the largest controller_mutation_rate throttle time of the topics
    for t in request.topics:
        if seen[t.name] > 1:
            results.append(
                _result(m, t.name, ErrorCode.invalid_request, "topic listed more than once")
            )
            continue
        results.append(await _create(ctx, m, t, request.validate_only, throttle_ms))
    throttle = datetime.timedelta(milliseconds=throttle_ms[0]) if throttle_ms[0] else ZERO
    return build(ctx.response_class, throttle_time=throttle, topics=tuple(results))


async def _create(ctx: RequestContext, m, t, validate_only: bool, throttle_ms: list[int]):
    svc = ctx.services
    if not (
        ctx.authorized("CREATE", "CLUSTER", "kafka-cluster")
        or ctx.authorized("CREATE", "TOPIC", t.name)
    ):
        return _result(m, t.name, ErrorCode.topic_authorization_failed, None)
    assignments: list[list[int]] | None = None
    if t.assignments:
        if t.num_partitions != -1 or t.replication_factor != -1:
            return _result(m, t.name, ErrorCode.invalid_request, BOTH_SET)
        numbered = _assignments(t.assignments)
        if isinstance(numbered, str):
            return _result(m, t.name, ErrorCode.invalid_replica_assignment, numbered)
        assignments = numbered
    configs = {c.name: c.value for c in t.configs}
    try:
        partitions, rf, clean = svc.topics.check_create(
            t.name, t.num_partitions, t.replication_factor, configs, assignments
        )
        topic_id = None
        owed = 0 if validate_only else mutations_owed_ms(ctx, partitions)
        if owed:  # Redpanda: the topic is refused while its client's mutation budget owes
            throttle_ms[0] = max(throttle_ms[0], owed)
            code = ErrorCode.throttling_quota_exceeded
            if ctx.api_version < THROTTLING_VERSION:
                code = ErrorCode.unknown_server_error
            return _result(m, t.name, code, MUTATIONS_REFUSED)
        if not validate_only:
            topic_id = await svc.topics.create_topic(
                t.name,
                -1 if assignments else partitions,
                -1 if assignments else rf,
                configs,
                assignments,
            )
    except ClusterError as exc:
        return _result(m, t.name, to_error_code(exc), error_message(exc))
    described = (
        None
        if ctx.api_version < CONFIGS_VERSION
        else tuple(
            build(
                m.CreatableTopicConfigs,
                name=name,
                value=clean.get(name, topic_config.cluster_default(name, svc.cluster_config.get)),
                read_only=False,
                config_source=SOURCE_TOPIC if name in clean else SOURCE_DEFAULT,
                is_sensitive=False,
            )
            for name in sorted(topic_config.PROPERTIES)
        )
    )
    return build(
        m.CreatableTopicResult,
        name=t.name,
        topic_id=uuid.UUID(topic_id) if topic_id else uuid.UUID(int=0),
        error_code=ErrorCode.none,
        error_message=None,
        topic_config_error_code=0,
        num_partitions=partitions,
        replication_factor=rf,
        configs=described,
    )


def _assignments(given) -> list[list[int]] | str:
    """The replica lists in partition order, or why they are refused (Kafka's checks:
    partitions numbered 0..n-1 once each)."""
    by_index: dict[int, list[int]] = {}
    for a in given:
        if a.partition_index in by_index:
            return f"partition {a.partition_index} is assigned twice"
        by_index[a.partition_index] = list(a.broker_ids)
    if sorted(by_index) != list(range(len(by_index))):
        return "partitions should be consecutive and start from 0"
    return [by_index[i] for i in range(len(by_index))]


def _result(m, name: str, code: ErrorCode, message: str | None):
    return build(
        m.CreatableTopicResult,
        name=name,
        topic_id=uuid.UUID(int=0),
        error_code=code,
        error_message=message,
        topic_config_error_code=0,
        num_partitions=-1,
        replication_factor=-1,
        configs=None,
    )
