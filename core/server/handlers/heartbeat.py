"""Heartbeat (12): a member is alive; the answer says whether to rejoin."""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build

API_KEY = 12
MIN_VERSION = 0
MAX_VERSION = 4


async def handle(ctx: RequestContext, request: Any) -> Any:
    if not ctx.authorized("READ", "GROUP", request.group_id):
        code = ErrorCode.group_authorization_failed
        return build(ctx.response_class, throttle_time=ZERO, error_code=code)
    error = ctx.services.groups.heartbeat(
        request.group_id,
        request.generation_id,
        request.member_id,
        getattr(request, "group_instance_id", None),
    )
    return build(ctx.response_class, throttle_time=ZERO, error_code=error)
