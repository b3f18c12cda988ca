"""DeleteGroups (42): remove empty groups and their committed offsets."""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 42
MIN_VERSION = 0
MAX_VERSION = 2
GROUPS_PER_REQUEST_MAX = 10_000


async def handle(ctx: RequestContext, request: Any) -> Any:
    groups = ctx.services.groups
    m = module_of(ctx.response_class)
    results = []
    for group_id in request.groups_names[:GROUPS_PER_REQUEST_MAX]:
        if not ctx.authorized("DELETE", "GROUP", group_id):
            error = ErrorCode.group_authorization_failed
        else:
            error = await groups.delete_group(group_id)
        results.append(build(m.DeletableGroupResult, group_id=group_id, error_code=error))
    return build(ctx.response_class, throttle_time=ZERO, results=tuple(results))
