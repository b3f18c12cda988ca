"""CreateAcls (30): add ACL bindings (needs ALTER on the cluster), replicated by the controller."""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.security.acls import AclBinding, AclError
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 30
MIN_VERSION = 0
MAX_VERSION = 2
MAX_CREATIONS = 10_000


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    creations = request.creations[:MAX_CREATIONS]
    store = ctx.services.acls
    if store is None:
        code, message = ErrorCode.security_disabled, "no authorizer is configured"
        return _all(ctx, m, creations, code, message)
    if not ctx.authorized("ALTER", "CLUSTER", "kafka-cluster"):
        return _all(ctx, m, creations, ErrorCode.cluster_authorization_failed, None)
    results: list[tuple[ErrorCode, str | None]] = []
    valid: list[AclBinding] = []
    for c in creations:
        try:
            binding = AclBinding.checked(
                c.resource_type,
                c.resource_name,
                getattr(c, "resource_pattern_type", 3),
                c.principal,
                c.host,
                c.operation,
                c.permission_type,
            )
        except AclError as exc:
            results.append((ErrorCode.invalid_request, str(exc)))
            continue
        valid.append(binding)
        results.append((ErrorCode.none, None))
    await store.create(valid)
    entries = tuple(
        build(m.AclCreationResult, error_code=code, error_message=msg) for code, msg in results
    )
    return build(ctx.response_class, throttle_time=ZERO, results=entries)


def _all(ctx: RequestContext, m: Any, creations: Any, code: ErrorCode, message: Any) -> Any:
    entries = tuple(
        build(m.AclCreationResult, error_code=code, error_message=message) for _ in creations
    )
    return build(ctx.response_class, throttle_time=ZERO, results=entries)
