"""JoinGroup (11): enter a group, or rejoin it for a rebalance.

The response waits until the rebalance completes. v4+ asks a new dynamic member
to rejoin with the id it is given (MEMBER_ID_REQUIRED); v5+ carries
group.instance.id for static membership.
"""

from __future__ import annotations

from typing import Any

from core.groups.membership import JoinParams
from core.groups.results import JoinResult
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 11
MIN_VERSION = 0
MAX_VERSION = 6
PROTOCOLS_MAX = 64


async def handle(ctx: RequestContext, request: Any) -> Any:
    groups = ctx.services.groups
    if not ctx.authorized("READ", "GROUP", request.group_id):
        return _response(ctx, JoinResult(ErrorCode.group_authorization_failed, request.member_id))
    if len(request.protocols) > PROTOCOLS_MAX:
        return _response(ctx, JoinResult(ErrorCode.invalid_request, request.member_id))
    session_ms = _ms(request.session_timeout)
    rebalance = getattr(request, "rebalance_timeout", None)
    params = JoinParams(
        group_id=request.group_id,
        member_id=request.member_id,
        protocol_type=request.protocol_type,
        protocols=[(p.name, bytes(p.metadata)) for p in request.protocols],
        session_timeout_ms=session_ms,
        rebalance_timeout_ms=session_ms if rebalance is None else _ms(rebalance),
        group_instance_id=getattr(request, "group_instance_id", None),
        client_id=ctx.client_id or "",
        client_host="/" + ctx.peer.rsplit(":", 1)[0],
        require_known_member_id=ctx.api_version >= 4,
    )
    return _response(ctx, await groups.join(params))


def _ms(delta) -> int:
    return round(delta.total_seconds() * 1000)


def _response(ctx: RequestContext, result: JoinResult):
    m = module_of(ctx.response_class)
    members = tuple(
        build(
            m.JoinGroupResponseMember,
            member_id=j.member_id,
            group_instance_id=j.group_instance_id,
            metadata=j.metadata,
        )
        for j in result.members
    )
    return build(
        ctx.response_class,
        throttle_time=ZERO,
        error_code=result.error,
        generation_id=result.generation_id,
        protocol_name=result.protocol_name or "",
        protocol_type=result.protocol_type,
        leader=result.leader_id,
        member_id=result.member_id,
        members=members,
    )
