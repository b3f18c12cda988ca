"""SyncGroup (14): the leader hands out assignments; every member gets its own.

The response waits until the leader's assignment is stored (or the rebalance is
abandoned).
"""

from __future__ import annotations

from typing import Any

from core.groups.membership import SyncParams
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build

API_KEY = 14
MIN_VERSION = 0
MAX_VERSION = 4
ASSIGNMENTS_MAX = 100_000


async def handle(ctx: RequestContext, request: Any) -> Any:
    groups = ctx.services.groups
    if not ctx.authorized("READ", "GROUP", request.group_id):
        return _response(ctx, ErrorCode.group_authorization_failed, b"")
    if len(request.assignments) > ASSIGNMENTS_MAX:
        return _response(ctx, ErrorCode.invalid_request, b"")
    params = SyncParams(
        group_id=request.group_id,
        generation_id=request.generation_id,
        member_id=request.member_id,
        assignments={a.member_id: bytes(a.assignment) for a in request.assignments},
        group_instance_id=getattr(request, "group_instance_id", None),
    )
    result = await groups.sync(params)
    return _response(ctx, result.error, result.assignment)


def _response(ctx: RequestContext, error: ErrorCode, assignment: bytes):
    return build(ctx.response_class, throttle_time=ZERO, error_code=error, assignment=assignment)
