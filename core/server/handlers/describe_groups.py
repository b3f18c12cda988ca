"""DescribeGroups (15): state, protocol and members of each group.

Member metadata and assignments are shown only for Stable groups, as Kafka does.
A group that does not exist is reported as Dead with no error.
"""

from __future__ import annotations

from typing import Any

from core.groups.results import GroupSummary
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 15
MIN_VERSION = 0
MAX_VERSION = 5
GROUPS_PER_REQUEST_MAX = 10_000
_NOT_REQUESTED = -(2**31)
# Kafka AclOperation codes that apply to a group: READ (3), DELETE (6), DESCRIBE (8)
_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8)


async def handle(ctx: RequestContext, request: Any) -> Any:
    groups = ctx.services.groups
    m = module_of(ctx.response_class)
    operations = (
        _GROUP_OPERATIONS
        if getattr(request, "include_authorized_operations", False)
        else _NOT_REQUESTED
    )
    described = []
    for group_id in request.groups[:GROUPS_PER_REQUEST_MAX]:
        if ctx.authorized("DESCRIBE", "GROUP", group_id):
            summary = groups.describe(group_id)
        else:
            summary = GroupSummary(group_id, ErrorCode.group_authorization_failed, state="")
        described.append(_group(m, summary, operations))
    return build(ctx.response_class, throttle_time=ZERO, groups=tuple(described))


def _group(m, s: GroupSummary, operations: int):
    members = tuple(
        build(
            m.DescribedGroupMember,
            member_id=x.member_id,
            group_instance_id=x.group_instance_id,
            client_id=x.client_id,
            client_host=x.client_host,
            member_metadata=x.metadata,
            member_assignment=x.assignment,
        )
        for x in s.members
    )
    return build(
        m.DescribedGroup,
        error_code=s.error,
        group_id=s.group_id,
        group_state=s.state,
        protocol_type=s.protocol_type,
        protocol_data=s.protocol_name,
        members=members,
        authorized_operations=operations,
    )
