"""Metadata (3): brokers, controller and topics; optional auto-creation.

Brokers are the cluster's members, each at its advertised address on the listener the request
came in on (same name; a broker without that listener is left out, as Kafka does); each partition's leader and epoch come from the leaders
table (LEADER_NOT_AVAILABLE while unknown), its replicas from the topic's assignment.

Auto-creation (auto_create_topics_enabled, allow_auto_topic_creation and the CREATE right) is
bounded by `create_topic_timeout_ms`, as Redpanda's Metadata bounded it: the controller
command and then the wait for the new partitions' leaders share that time, the topics of one
request concurrently. A topic whose creation was not applied in time answers
REQUEST_TIMED_OUT (the command may still be applied later: the client's retry then finds the
topic); one whose leaders are not all known in time is answered as it is
(LEADER_NOT_AVAILABLE for those partitions).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from core.cluster.errors import ClusterError, to_error_code
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 3
MIN_VERSION = 0
MAX_VERSION = 8  # as Redpanda; librdkafka 2.16 sends v12 all-topics requests kio cannot parse

_NO_ID = uuid.UUID(int=0)
CREATE_TIMEOUT = "create_topic_timeout_ms"
MAX_CREATE_TIMEOUT_MS = 600_000  # the longest a Metadata request waits for a creation
_LEADER_POLL_S = 0.01
NOT_REQUESTED = -(2**31)
# The operations Kafka reports for each resource type, with their codes.
TOPIC_OPERATIONS = (
    ("READ", 3),
    ("WRITE", 4),
    ("CREATE", 5),
    ("DELETE", 6),
    ("ALTER", 7),
    ("DESCRIBE", 8),
    ("DESCRIBE_CONFIGS", 10),
    ("ALTER_CONFIGS", 11),
)
CLUSTER_OPERATIONS = (
    ("CREATE", 5),
    ("ALTER", 7),
    ("DESCRIBE", 8),
    ("CLUSTER_ACTION", 9),
    ("DESCRIBE_CONFIGS", 10),
    ("ALTER_CONFIGS", 11),
    ("IDEMPOTENT_WRITE", 12),
)


async def handle(ctx: RequestContext, request: Any) -> Any:
    svc = ctx.services
    m = module_of(ctx.response_class)
    on_listener = (b.on_listener(ctx.listener) for b in svc.metadata.brokers())
    brokers = tuple(
        build(m.MetadataResponseBroker, node_id=b.node_id, host=b.host, port=b.port, rack=b.rack)
        for b in on_listener
        if b is not None
    )
    topics = await _topics(ctx, request, m)
    cluster_ops = NOT_REQUESTED
    if getattr(request, "include_cluster_authorized_operations", False):
        cluster_ops = ctx.authorized_operations("CLUSTER", "kafka-cluster", CLUSTER_OPERATIONS)
    return build(
        ctx.response_class,
        throttle_time=ZERO,
        brokers=brokers,
        cluster_id=svc.cluster_id,
        controller_id=svc.metadata.controller_id,
        topics=tuple(topics),
        cluster_authorized_operations=cluster_ops,
    )


async def _topics(ctx: RequestContext, request, m) -> list:
    svc = ctx.services
    requested = request.topics
    if requested is None or (ctx.api_version == 0 and not requested):
        ops = bool(getattr(request, "include_topic_authorized_operations", False))
        return [
            _topic_entry(ctx, m, meta.name, meta, ops)
            for meta in svc.metadata.topics()
            if ctx.authorized("DESCRIBE", "TOPIC", meta.name)  # others are left out, as Kafka
        ]
    allow_create = getattr(request, "allow_auto_topic_creation", True)
    ops = bool(getattr(request, "include_topic_authorized_operations", False))
    described = {
        item.name: ctx.authorized("DESCRIBE", "TOPIC", item.name)
        for item in requested
        if item.name is not None
    }
    creatable = [
        name
        for name, allowed in described.items()
        if allowed and allow_create and svc.metadata.topic(name) is None and _may_create(ctx, name)
    ]
    created = dict(zip(creatable, await _auto_create(ctx, creatable), strict=True))
    out = []
    for item in requested:
        name = item.name
        topic_id = getattr(item, "topic_id", None)
        if name is None and topic_id not in (None, _NO_ID):
            meta = svc.metadata.topic_by_id(str(topic_id))
            if meta is None:
                out.append(_error_entry(m, None, ErrorCode.unknown_topic_id, topic_id))
                continue
            if not ctx.authorized("DESCRIBE", "TOPIC", meta.name):
                out.append(_error_entry(m, None, ErrorCode.topic_authorization_failed, topic_id))
                continue
            out.append(_topic_entry(ctx, m, meta.name, meta, ops))
            continue
        allowed = described.get(name)
        if not (ctx.authorized("DESCRIBE", "TOPIC", name) if allowed is None else allowed):
            out.append(_error_entry(m, name, ErrorCode.topic_authorization_failed))
            continue
        error = created.get(name)
        if error is not None:
            out.append(_error_entry(m, name, error))
            continue
        meta = svc.metadata.topic(name)
        if meta is None:
            out.append(_error_entry(m, name, ErrorCode.unknown_topic_or_partition))
        else:
            out.append(_topic_entry(ctx, m, name, meta, ops))
    return out


async def _auto_create(ctx: RequestContext, names: list[str]) -> list[ErrorCode | None]:
    """Create `names` (distinct) concurrently within create_topic_timeout_ms; for each, the
    error to answer or None."""
    if not names:
        return []
    timeout_ms = int(ctx.services.cluster_config.get(CREATE_TIMEOUT))
    timeout_s = min(max(timeout_ms, 1), MAX_CREATE_TIMEOUT_MS) / 1000
    deadline = asyncio.get_running_loop().time() + timeout_s
    return list(await asyncio.gather(*(_create_one(ctx, name, deadline) for name in names)))


async def _create_one(ctx: RequestContext, name: str, deadline: float) -> ErrorCode | None:
    svc = ctx.services
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(svc.topics.create_topic(name), deadline - loop.time())
    except TimeoutError:
        return ErrorCode.request_timed_out
    except ClusterError as exc:
        code = to_error_code(exc)
        if code != ErrorCode.topic_already_exists:
            return code
    meta = svc.metadata.topic(name)
    count = meta.partitions if meta is not None else 0
    while loop.time() < deadline:  # polled: the leaders table has no waiters
        views = [svc.partitions.describe(name, i) for i in range(count)]
        if all(v is not None and v.leader_id is not None for v in views):
            break
        await asyncio.sleep(_LEADER_POLL_S)
    return None


def _may_create(ctx: RequestContext, name: str) -> bool:
    return bool(ctx.services.cluster_config.get("auto_create_topics_enabled")) and (
        ctx.authorized("CREATE", "CLUSTER", "kafka-cluster")
        or ctx.authorized("CREATE", "TOPIC", name)
    )


def _error_entry(m, name, code: ErrorCode, topic_id=None):
    return build(
        m.MetadataResponseTopic,
        error_code=code,
        name=name,
        topic_id=topic_id or _NO_ID,
        is_internal=False,
        partitions=(),
        topic_authorized_operations=-2147483648,
    )


def _topic_entry(ctx: RequestContext, m, name: str, meta, with_ops: bool = False):
    partitions = tuple(_partition_entry(ctx, m, name, i) for i in range(meta.partitions))
    return build(
        m.MetadataResponseTopic,
        error_code=ErrorCode.none,
        name=name,
        topic_id=uuid.UUID(meta.topic_id),
        is_internal=meta.is_internal,
        partitions=partitions,
        topic_authorized_operations=(
            ctx.authorized_operations("TOPIC", name, TOPIC_OPERATIONS)
            if with_ops
            else NOT_REQUESTED
        ),
    )


def _partition_entry(ctx: RequestContext, m, name: str, index: int):
    """Leader and epoch from the leaders table, replicas from the assignment, ISR as the
    leader sees it (the replicas when the leader is another node)."""
    view = ctx.services.partitions.describe(name, index)
    disabled = ctx.services.partitions.is_disabled(name, index)  # core.cluster.partition_disable
    if view is None or view.leader_id is None or disabled:
        return build(
            m.MetadataResponsePartition,
            error_code=ErrorCode.replica_not_available
            if disabled
            else ErrorCode.leader_not_available,
            partition_index=index,
            leader_id=-1,
            leader_epoch=-1,
            replica_nodes=view.replicas if view is not None else (),
            isr_nodes=(),
            offline_replicas=(),
        )
    return build(
        m.MetadataResponsePartition,
        error_code=ErrorCode.none,
        partition_index=index,
        leader_id=view.leader_id,
        leader_epoch=view.leader_epoch,
        replica_nodes=view.replicas,
        isr_nodes=view.in_sync,
        offline_replicas=(),
    )
