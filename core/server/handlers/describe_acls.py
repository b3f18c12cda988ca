"""DescribeAcls (29): the bindings a filter matches (needs DESCRIBE on the cluster)."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from core.protocol.errors import ErrorCode
from core.security.acls import AclError
from core.server.context import RequestContext
from core.server.handlers._acl_common import acl_filter
from core.server.responses import ZERO, build, module_of

API_KEY = 29
MIN_VERSION = 0
MAX_VERSION = 2


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    store = ctx.services.acls
    if store is None:
        return _error(ctx, ErrorCode.security_disabled, "no authorizer is configured")
    if not ctx.authorized("DESCRIBE", "CLUSTER", "kafka-cluster"):
        return _error(ctx, ErrorCode.cluster_authorization_failed, None)
    f = acl_filter(request)
    try:
        f.check()
    except AclError as exc:
        return _error(ctx, ErrorCode.invalid_request, str(exc))
    resources = []
    for (rtype, name, pattern), group in groupby(
        store.describe(f), key=lambda b: (b.resource_type, b.name, b.pattern_type)
    ):
        acls = tuple(
            build(
                m.AclDescription,
                principal=b.principal,
                host=b.host,
                operation=int(b.operation),
                permission_type=int(b.permission),
            )
            for b in group
        )
        resources.append(
            build(
                m.DescribeAclsResource,
                resource_type=int(rtype),
                resource_name=name,
                pattern_type=int(pattern),
                acls=acls,
            )
        )
    return build(
        ctx.response_class,
        throttle_time=ZERO,
        error_code=ErrorCode.none,
        error_message=None,
        resources=tuple(resources),
    )


def _error(ctx: RequestContext, code: ErrorCode, message: str | None) -> Any:
    return build(
        ctx.response_class, throttle_time=ZERO, error_code=code, error_message=message, resources=()
    )
