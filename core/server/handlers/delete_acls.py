"""DeleteAcls (31): remove the bindings each filter matches (needs ALTER on the cluster)."""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.security.acls import AclError, AclFilter
from core.server.context import RequestContext
from core.server.handlers._acl_common import acl_filter
from core.server.responses import ZERO, build, module_of

API_KEY = 31
MIN_VERSION = 0
MAX_VERSION = 2
MAX_FILTERS = 1_000


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    filters = request.filters[:MAX_FILTERS]
    store = ctx.services.acls
    if store is None:
        return _all(ctx, m, filters, ErrorCode.security_disabled, "no authorizer is configured")
    if not ctx.authorized("ALTER", "CLUSTER", "kafka-cluster"):
        return _all(ctx, m, filters, ErrorCode.cluster_authorization_failed, None)
    parsed: list[AclFilter | str] = []
    for raw in filters:
        candidate = acl_filter(raw)
        try:
            candidate.check()
            parsed.append(candidate)
        except AclError as exc:
            parsed.append(str(exc))
    matched = iter(await store.delete([f for f in parsed if isinstance(f, AclFilter)]))
    results = []
    for f in parsed:
        if isinstance(f, str):
            results.append(_result(m, ErrorCode.invalid_request, f, ()))
            continue
        rows = tuple(
            build(
                m.DeleteAclsMatchingAcl,
                error_code=ErrorCode.none,
                error_message=None,
                resource_type=int(b.resource_type),
                resource_name=b.name,
                pattern_type=int(b.pattern_type),
                principal=b.principal,
                host=b.host,
                operation=int(b.operation),
                permission_type=int(b.permission),
            )
            for b in next(matched)
        )
        results.append(_result(m, ErrorCode.none, None, rows))
    return build(ctx.response_class, throttle_time=ZERO, filter_results=tuple(results))


def _result(m: Any, code: ErrorCode, message: str | None, rows: tuple) -> Any:
    return build(
        m.DeleteAclsFilterResult, error_code=code, error_message=message, matching_acls=rows
    )


def _all(ctx: RequestContext, m: Any, filters: Any, code: ErrorCode, message: Any) -> Any:
    results = tuple(_result(m, code, message, ()) for _ in filters)
    return build(ctx.response_class, throttle_time=ZERO, filter_results=results)
