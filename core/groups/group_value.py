"""The `__consumer_offsets` value of a group's metadata (GroupMetadataValue) from its state."""

from __future__ import annotations

from core.groups.group import Group
from core.groups.log_format import GroupValue, MemberValue


def group_value(group: Group, assignments: dict[str, bytes] | None, now_ms: int) -> GroupValue:
    protocol = group.protocol_name
    members = (
        tuple(
            MemberValue(
                m.member_id,
                m.group_instance_id,
                m.client_id,
                m.client_host,
                m.rebalance_timeout_ms,
                m.session_timeout_ms,
                m.metadata_for(protocol) if protocol else b"",
                assignments.get(m.member_id, b"") if assignments is not None else m.assignment,
            )
            for m in group.members.values()
        )
        if protocol is not None
        else ()
    )
    return GroupValue(
        group.protocol_type or "",
        group.generation,
        protocol,
        group.leader_id if members else None,
        group.state_timestamp_ms if group.state_timestamp_ms > 0 else now_ms,
        members,
    )
