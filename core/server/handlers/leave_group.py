"""LeaveGroup (13): members leave at once instead of waiting for their session
timeout. v3+ carries a batch of members, by member id or group.instance.id."""

from __future__ import annotations

from typing import Any

from core.groups.results import LeaveRequestMember
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 13
MIN_VERSION = 0
MAX_VERSION = 4
MEMBERS_PER_REQUEST_MAX = 1_000


async def handle(ctx: RequestContext, request: Any) -> Any:
    groups = ctx.services.groups
    if ctx.api_version < 3:
        leaving = [LeaveRequestMember(request.member_id)]
    else:
        leaving = [LeaveRequestMember(m.member_id, m.group_instance_id) for m in request.members]
    if not ctx.authorized("READ", "GROUP", request.group_id):
        code = ErrorCode.group_authorization_failed
        return build(ctx.response_class, throttle_time=ZERO, error_code=code, members=())
    if len(leaving) > MEMBERS_PER_REQUEST_MAX:
        return build(
            ctx.response_class,
            throttle_time=ZERO,
            error_code=ErrorCode.invalid_request,
            members=(),
        )
    result = groups.leave(request.group_id, leaving)
    if ctx.api_version < 3:
        error = result.error
        if error is ErrorCode.none and result.members:
            error = result.members[0][1]
        return build(ctx.response_class, throttle_time=ZERO, error_code=error)
    m = module_of(ctx.response_class)
    members = tuple(
        build(
            m.MemberResponse,
            member_id=who.member_id,
            group_instance_id=who.group_instance_id,
            error_code=error,
        )
        for who, error in result.members
    )
    return build(ctx.response_class, throttle_time=ZERO, error_code=result.error, members=members)
