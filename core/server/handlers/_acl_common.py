"""Shared by the ACL handlers (CreateAcls, DescribeAcls, DeleteAcls)."""

from __future__ import annotations

from typing import Any

from core.security.acls import AclFilter


def acl_filter(f: Any) -> AclFilter:
    """The AclFilter of a DescribeAcls request or a DeleteAcls filter entry."""
    return AclFilter(
        int(f.resource_type_filter),
        f.resource_name_filter,
        int(getattr(f, "pattern_type_filter", 3)),  # v0 has no pattern type: LITERAL
        f.principal_filter,
        f.host_filter,
        int(f.operation),
        int(f.permission_type),
    )
