"""ACL requests (CreateAcls, DescribeAcls, DeleteAcls) over kafka-python's admin client, and the
rows rpk prints for them: PRINCIPAL HOST RESOURCE-TYPE RESOURCE-NAME RESOURCE-PATTERN-TYPE
OPERATION PERMISSION [ERROR].

`AclSpec` holds `rpk security acl` flags; `creations()` multiplies them into concrete ACLs (every
combination, as rpk does) and `filters()` into filters (an unset dimension matches anything)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import kafka.errors as kerr
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
)

from cli.clients import kafka as kc
from cli.config.params import Params
from cli.errors import UsageError

CLUSTER_NAME = "kafka-cluster"
HEADERS = [
    "principal",
    "host",
    "resource-type",
    "resource-name",
    "resource-pattern-type",
    "operation",
    "permission",
]
OPERATIONS = [op.name.lower() for op in ACLOperation if op.name not in ("UNKNOWN", "ANY")]


@dataclass
class AclSpec:
    topics: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    cluster: bool = False
    txn_ids: list[str] = field(default_factory=list)
    pattern: str = "literal"
    operations: list[str] = field(default_factory=list)
    allow_principals: list[str] = field(default_factory=list)
    allow_hosts: list[str] = field(default_factory=list)
    deny_principals: list[str] = field(default_factory=list)
    deny_hosts: list[str] = field(default_factory=list)

    def _resources(self) -> list[tuple[ResourceType, str]]:
        out = [(ResourceType.TOPIC, t) for t in self.topics]
        out += [(ResourceType.GROUP, g) for g in self.groups]
        out += [(ResourceType.TRANSACTIONAL_ID, t) for t in self.txn_ids]
        if self.cluster:
            out.append((ResourceType.CLUSTER, CLUSTER_NAME))
        return out

    def _pattern(self, allowed: tuple[str, ...]) -> ACLResourcePatternType:
        value = self.pattern.strip().lower()
        if value not in allowed:
            raise UsageError(f"invalid kafka resource pattern type {self.pattern!r}")
        return ACLResourcePatternType[value.upper()]

    def _operations(self) -> list[ACLOperation]:
        out = []
        for op in self.operations:
            name = op.strip().upper().replace("-", "_")
            if name not in ACLOperation.__members__ or name == "UNKNOWN":
                raise UsageError(f"invalid kafka operation {op!r}")
            out.append(ACLOperation[name])
        return out

    def creations(self) -> list[ACL]:
        pattern = self._pattern(("literal", "prefixed"))
        resources, operations = self._resources(), self._operations()
        grants = [
            (p, h, ACLPermissionType.ALLOW)
            for p, h in _pairs(self.allow_principals, self.allow_hosts)
        ]
        grants += [
            (p, h, ACLPermissionType.DENY) for p, h in _pairs(self.deny_principals, self.deny_hosts)
        ]
        if not (resources and operations and grants):
            raise UsageError(
                "at least one principal, one resource and one operation are required to create ACLs"
            )
        return [
            ACL(principal, host, op, perm, ResourcePattern(rtype, name, pattern))
            for (rtype, name), op, (principal, host, perm) in itertools.product(
                resources, operations, grants
            )
        ]

    def filters(self) -> list[ACLFilter]:
        pattern = self._pattern(("any", "match", "literal", "prefixed"))
        resources = self._resources() or [(ResourceType.ANY, None)]
        operations = self._operations() or [ACLOperation.ANY]
        who: list[tuple[str | None, str | None, ACLPermissionType]] = []
        for principals, hosts, perm in (
            (self.allow_principals, self.allow_hosts, ACLPermissionType.ALLOW),
            (self.deny_principals, self.deny_hosts, ACLPermissionType.DENY),
        ):
            for principal in [_user(p) for p in principals] or [None]:
                for host in hosts or [None]:
                    if principal is not None or host is not None:
                        who.append((principal, host, perm))
        if not who:
            who = [(None, None, ACLPermissionType.ANY)]
        return [
            ACLFilter(principal, host, op, perm, ResourcePatternFilter(rtype, name, pattern))
            for (rtype, name), op, (principal, host, perm) in itertools.product(
                resources, operations, who
            )
        ]


def _user(principal: str) -> str:
    """rpk's default principal type: "bar" is "User:bar", "*" is "User:*"."""
    return principal if ":" in principal else f"User:{principal}"


def _pairs(principals: list[str], hosts: list[str]) -> list[tuple[str, str]]:
    return [(_user(p), h) for p in principals for h in (hosts or ["*"])]


def row(acl: ACL, error: str | None = None) -> list[str]:
    rp = acl.resource_pattern
    cells = [
        acl.principal,
        acl.host,
        rp.resource_type.name,
        rp.resource_name,
        rp.pattern_type.name,
        acl.operation.name,
        acl.permission_type.name,
    ]
    return cells if error is None else [*cells, error]


def _sorted(acls: list[ACL]) -> list[ACL]:
    return sorted(set(acls), key=lambda a: row(a))


def _error_text(error: object) -> str:
    cls = error if isinstance(error, type) else type(error)
    return kc.error_name(cls) if cls is not kerr.NoError else ""


def create(p: Params, acls: list[ACL]) -> list[list[str]]:
    """One row per ACL with its error ('' when created)."""
    with kc.admin_session(p) as admin:
        result = admin.create_acls(acls)
    succeeded = list(result["succeeded"])
    failures = iter(result["failed"])
    rows = []
    for acl in acls:
        if acl in succeeded:
            succeeded.remove(acl)
            rows.append(row(acl, ""))
        else:
            rows.append(row(acl, _error_text(next(failures, kerr.UnknownError))))
    return sorted(rows)


def describe(p: Params, filters: list[ACLFilter]) -> list[ACL]:
    found: list[ACL] = []
    with kc.admin_session(p) as admin:
        for f in filters:
            acls, _error = admin.describe_acls(f)
            found.extend(acls)
    return _sorted(found)


def delete(p: Params, filters: list[ACLFilter]) -> list[list[str]]:
    rows = []
    with kc.admin_session(p) as admin:
        for _filter, matched, error in admin.delete_acls(filters):
            err = _error_text(error)
            rows.extend(row(acl, err) for acl in matched)
    return sorted({tuple(r): r for r in rows}.values())
