"""DescribeClientQuotas (48): the client quotas matching a filter (needs DESCRIBE_CONFIGS on the
cluster), read from this node's copy of the controller's quota table (core.cluster.quotas)."""

from __future__ import annotations

from typing import Any

from core.cluster.quotas import Filter, QuotaError
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 48
MIN_VERSION = 0
MAX_VERSION = 1


async def handle(ctx: RequestContext, request: Any) -> Any:
    quotas = ctx.services.client_quotas
    store = None if quotas is None else quotas.store
    if store is None:
        return _error(ctx, ErrorCode.unknown_server_error, "client quotas are not available")
    if not ctx.authorized("DESCRIBE_CONFIGS", "CLUSTER", "kafka-cluster"):
        return _error(ctx, ErrorCode.cluster_authorization_failed, None)
    filters = [Filter(c.entity_type, int(c.match_type), c.match) for c in request.components]
    try:
        found = store.describe(filters, bool(request.strict))
    except QuotaError as exc:
        return _error(ctx, exc.code, exc.message)
    m = module_of(ctx.response_class)
    entries = tuple(
        build(
            m.EntryData,
            entity=tuple(build(m.EntityData, entity_type=t, entity_name=n) for t, n in entity),
            values=tuple(build(m.ValueData, key=k, value=v) for k, v in values.items()),
        )
        for entity, values in found
    )
    return build(
        ctx.response_class,
        throttle_time=ZERO,
        error_code=ErrorCode.none,
        error_message=None,
        entries=entries,
    )


def _error(ctx: RequestContext, code: ErrorCode, message: str | None) -> Any:
    return build(  # Redpanda answers an empty list of entries with an error
        ctx.response_class, throttle_time=ZERO, error_code=code, error_message=message, entries=()
    )
