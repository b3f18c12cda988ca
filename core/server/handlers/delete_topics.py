"""DeleteTopics (20): by name, or by topic id (v6)."""

from __future__ import annotations

import uuid
from typing import Any

from core.cluster.errors import ClusterError, error_message, to_error_code
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 20
MIN_VERSION = 1
MAX_VERSION = 6

_NO_ID = uuid.UUID(int=0)
BY_ID_VERSION = 6  # v6 names topics by name or id; earlier versions list topic_names


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    if ctx.api_version < BY_ID_VERSION:
        wanted = [(name, None) for name in request.topic_names]
    else:
        wanted = [(t.name, t.topic_id) for t in request.topics]
    results = [await _delete(ctx, m, name, topic_id) for name, topic_id in wanted]
    return build(ctx.response_class, throttle_time=ZERO, responses=tuple(results))


async def _delete(ctx: RequestContext, m, name, topic_id):
    svc = ctx.services
    if name is None and topic_id not in (None, _NO_ID):
        meta = svc.metadata.topic_by_id(str(topic_id))
        if meta is None:
            return build(
                m.DeletableTopicResult,
                name=None,
                topic_id=topic_id,
                error_code=ErrorCode.unknown_topic_id,
                error_message="unknown topic id",
            )
        name = meta.name
    meta = svc.metadata.topic(name)
    if not ctx.authorized("DELETE", "TOPIC", name):
        return build(
            m.DeletableTopicResult,
            name=name,
            topic_id=topic_id or _NO_ID,
            error_code=ErrorCode.topic_authorization_failed,
            error_message=None,
        )
    if name in (svc.cluster_config.get("kafka_nodelete_topics") or ()):
        return build(  # as Redpanda: protected by name, whether or not the topic exists
            m.DeletableTopicResult,
            name=name,
            topic_id=uuid.UUID(meta.topic_id) if meta is not None else _NO_ID,
            error_code=ErrorCode.topic_authorization_failed,
            error_message=f"topic {name!r} is protected by kafka_nodelete_topics",
        )
    try:
        if meta is not None and meta.is_internal:
            return build(
                m.DeletableTopicResult,
                name=name,
                topic_id=uuid.UUID(meta.topic_id),
                error_code=ErrorCode.topic_authorization_failed,
                error_message="internal topics cannot be deleted",
            )
        await svc.topics.delete_topic(name)
    except ClusterError as exc:
        return build(
            m.DeletableTopicResult,
            name=name,
            topic_id=topic_id or _NO_ID,
            error_code=to_error_code(exc),
            error_message=error_message(exc),
        )
    return build(
        m.DeletableTopicResult,
        name=name,
        topic_id=uuid.UUID(meta.topic_id) if meta is not None else _NO_ID,
        error_code=ErrorCode.none,
        error_message=None,
    )
