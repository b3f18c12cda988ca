"""ListGroups (16): groups this broker coordinates; v4 filters by state."""

from __future__ import annotations

from typing import Any

from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 16
MIN_VERSION = 0
MAX_VERSION = 4


async def handle(ctx: RequestContext, request: Any) -> Any:
    error, listings = ctx.services.groups.list_groups(getattr(request, "states_filter", ()) or ())
    if not ctx.authorized("DESCRIBE", "CLUSTER", "kafka-cluster"):
        listings = [g for g in listings if ctx.authorized("DESCRIBE", "GROUP", g.group_id)]
    m = module_of(ctx.response_class)
    rows = tuple(
        build(
            m.ListedGroup, group_id=g.group_id, protocol_type=g.protocol_type, group_state=g.state
        )
        for g in listings
    )
    return build(ctx.response_class, throttle_time=ZERO, error_code=error, groups=rows)
