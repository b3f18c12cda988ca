"""ACLs as Kafka models them, stored in the controller log and replicated.

A binding is (resource type, resource name, pattern type, principal, host, operation,
permission), each enum with Kafka's wire values. Commands: "acls_create" {"acls": [binding...]}
and "acls_delete" {"acls": [binding...]} (the leader resolves a delete filter into the exact
bindings it removes, so replay is deterministic). A filter (DescribeAcls, DeleteAcls) matches as
Kafka's AclBindingFilter: ANY matches every value; the MATCH pattern type selects the bindings
that apply to the named resource (its literal, the literal wildcard "*" and every prefix).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import astuple, dataclass
from enum import IntEnum
from typing import Any, Protocol

from core.cluster.controller_snapshot import offer_state

WILDCARD = "*"
ACLS_CREATE = "acls_create"
ACLS_DELETE = "acls_delete"


class ResourceType(IntEnum):
    UNKNOWN = 0
    ANY = 1
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5


class PatternType(IntEnum):
    UNKNOWN = 0
    ANY = 1
    MATCH = 2
    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    UNKNOWN = 0
    ANY = 1
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12


class Permission(IntEnum):
    UNKNOWN = 0
    ANY = 1
    DENY = 2
    ALLOW = 3


# An ALLOW of these operations also allows the key (Kafka's implied operations).
IMPLIED_BY: dict[Operation, frozenset[Operation]] = {
    Operation.DESCRIBE: frozenset(
        {Operation.READ, Operation.WRITE, Operation.DELETE, Operation.ALTER}
    ),
    Operation.DESCRIBE_CONFIGS: frozenset({Operation.ALTER_CONFIGS}),
}

CLUSTER_NAME = "kafka-cluster"


class AclError(ValueError):
    """A binding or filter that cannot be stored or used (INVALID_REQUEST)."""


@dataclass(frozen=True, slots=True)
class AclBinding:
    resource_type: ResourceType
    name: str
    pattern_type: PatternType
    principal: str
    host: str
    operation: Operation
    permission: Permission

    @classmethod
    def checked(cls, *values: Any) -> AclBinding:
        """A binding from wire values; concrete (no ANY/MATCH/UNKNOWN) or AclError."""
        try:
            rt, name, pt, principal, host, op, perm = values
            binding = cls(
                ResourceType(rt),
                name,
                PatternType(pt),
                principal,
                host,
                Operation(op),
                Permission(perm),
            )
        except ValueError as exc:
            raise AclError(f"invalid ACL: {exc}") from None
        if binding.resource_type in (ResourceType.UNKNOWN, ResourceType.ANY):
            raise AclError("an ACL needs a concrete resource type")
        if binding.pattern_type not in (PatternType.LITERAL, PatternType.PREFIXED):
            raise AclError("an ACL's pattern type is LITERAL or PREFIXED")
        if binding.operation in (Operation.UNKNOWN, Operation.ANY):
            raise AclError("an ACL needs a concrete operation")
        if binding.permission not in (Permission.ALLOW, Permission.DENY):
            raise AclError("an ACL's permission is ALLOW or DENY")
        if not name:
            raise AclError("an ACL needs a resource name")
        if ":" not in principal or not principal.split(":", 1)[1]:
            raise AclError(f"principal {principal!r} is not of the form Type:name")
        if not host:
            raise AclError('an ACL needs a host ("*" for any)')
        if binding.resource_type is ResourceType.CLUSTER and name != CLUSTER_NAME:
            raise AclError(f"the cluster resource is named {CLUSTER_NAME}")
        return binding

    def to_json(self) -> list[Any]:
        """The wire values, in field order (no dataclasses.astuple: snapshots call this for
        every binding)."""
        return [
            int(self.resource_type),
            self.name,
            int(self.pattern_type),
            self.principal,
            self.host,
            int(self.operation),
            int(self.permission),
        ]


@dataclass(frozen=True, slots=True)
class AclFilter:
    resource_type: int
    name: str | None
    pattern_type: int
    principal: str | None
    host: str | None
    operation: int
    permission: int

    def matches(self, b: AclBinding) -> bool:
        if self.resource_type != ResourceType.ANY and b.resource_type != self.resource_type:
            return False
        if self.principal is not None and b.principal != self.principal:
            return False
        if self.host is not None and b.host != self.host:
            return False
        if self.operation != Operation.ANY and b.operation != self.operation:
            return False
        if self.permission != Permission.ANY and b.permission != self.permission:
            return False
        return self._matches_pattern(b)

    def _matches_pattern(self, b: AclBinding) -> bool:
        pt = self.pattern_type
        if pt in (PatternType.LITERAL, PatternType.PREFIXED) and b.pattern_type != pt:
            return False
        if self.name is None:
            return True
        if pt == PatternType.MATCH:
            return resource_matches(b, self.name)
        return b.name == self.name

    def check(self) -> None:
        known = (
            self.resource_type in ResourceType._value2member_map_
            and self.pattern_type in PatternType._value2member_map_
            and self.operation in Operation._value2member_map_
            and self.permission in Permission._value2member_map_
        )
        if not known or 0 in (self.resource_type, self.pattern_type, self.operation):
            raise AclError(
                "the filter has an unknown resource type, pattern, operation or permission"
            )
        if self.permission == Permission.UNKNOWN:
            raise AclError("the filter has an unknown permission")


def resource_matches(b: AclBinding, name: str) -> bool:
    """Whether binding `b` applies to the resource called `name` (of its type)."""
    if b.pattern_type == PatternType.LITERAL:
        return b.name == name or b.name == WILDCARD
    return name.startswith(b.name)


class Controller(Protocol):
    def register(self, command_type: str, apply_fn: Callable[[dict[str, Any]], None]) -> None: ...

    def submit(self, command_type: str, payload: dict[str, Any]) -> Awaitable[int]: ...


class AclStore:
    """The replicated ACL table; every change goes through the controller log."""

    def __init__(self, controller: Controller) -> None:
        self._controller = controller
        self._acls: set[AclBinding] = set()
        self._by_type: dict[ResourceType, tuple[AclBinding, ...]] = {}
        self._index: dict[ResourceType, _TypeIndex] = {}
        self._lock = asyncio.Lock()
        self._listeners: list[Callable[[], None]] = []
        self.version = 0  # bumped on every change (the authorizer's cache key)
        controller.register(ACLS_CREATE, self._apply_create)
        controller.register(ACLS_DELETE, self._apply_delete)
        offer_state(controller, "acls", (ACLS_CREATE, ACLS_DELETE), self.snapshot, self.restore)

    def on_change(self, fn: Callable[[], None]) -> None:
        self._listeners.append(fn)

    def _changed(self) -> None:
        by_type: dict[ResourceType, list[AclBinding]] = {}
        for b in self._acls:
            by_type.setdefault(b.resource_type, []).append(b)
        self._by_type = {k: tuple(v) for k, v in by_type.items()}
        self._index = {k: _TypeIndex(v) for k, v in by_type.items()}
        self.version += 1
        for fn in self._listeners:
            fn()

    def _apply_create(self, payload: dict[str, Any]) -> None:
        self._acls.update(AclBinding.checked(*row) for row in payload["acls"])
        self._changed()

    def _apply_delete(self, payload: dict[str, Any]) -> None:
        self._acls.difference_update(AclBinding.checked(*row) for row in payload["acls"])
        self._changed()

    def snapshot(self) -> dict[str, Any]:
        """Every binding as its wire values, and the change count."""
        return {
            "acls": sorted(b.to_json() for b in self._acls),
            "version": self.version,
        }

    def restore(self, state: dict[str, Any]) -> None:
        """The bindings `snapshot` returned replace these; listeners hear one change and the
        version ends where applying the commands would have left it."""
        self._acls = {AclBinding.checked(*row) for row in state["acls"]}
        self.version = int(state["version"]) - 1
        self._changed()

    def for_type(self, resource_type: ResourceType) -> tuple[AclBinding, ...]:
        return self._by_type.get(resource_type, ())

    def applying_to(self, resource_type: ResourceType, name: str) -> list[AclBinding]:
        """The bindings that apply to the resource `name` of the type (resource_matches), found
        through an index: the literal name's, the literal wildcard's and the prefixes'."""
        index = self._index.get(resource_type)
        return [] if index is None else index.applying_to(name)

    def describe(self, acl_filter: AclFilter) -> list[AclBinding]:
        return sorted((b for b in self._acls if acl_filter.matches(b)), key=_sort_key)

    async def create(self, bindings: Iterable[AclBinding]) -> None:
        rows = [b.to_json() for b in bindings]
        if rows:
            await self._controller.submit(ACLS_CREATE, {"acls": rows})

    async def delete(self, filters: list[AclFilter]) -> list[list[AclBinding]]:
        """Remove what each filter matches; returns the bindings matched by each filter."""
        async with self._lock:
            matched = [self.describe(f) for f in filters]
            gone = {b for group in matched for b in group}
            if gone:
                rows = [b.to_json() for b in sorted(gone, key=_sort_key)]
                await self._controller.submit(ACLS_DELETE, {"acls": rows})
            return matched


class _TypeIndex:
    """One resource type's bindings by literal name, the literal wildcard's, and the prefixed
    ones by prefix length (checked with startswith: there are few in practice)."""

    def __init__(self, bindings: list[AclBinding]) -> None:
        literal: dict[str, list[AclBinding]] = {}
        prefixed: list[AclBinding] = []
        for b in bindings:
            if b.pattern_type == PatternType.LITERAL:
                literal.setdefault(b.name, []).append(b)
            else:
                prefixed.append(b)
        self._literal = {k: tuple(v) for k, v in literal.items()}
        self._wildcard = self._literal.get(WILDCARD, ())
        self._prefixed = tuple(prefixed)

    def applying_to(self, name: str) -> list[AclBinding]:
        out = list(self._literal.get(name, ()))
        if name != WILDCARD:
            out.extend(self._wildcard)
        out.extend(b for b in self._prefixed if name.startswith(b.name))
        return out


def _sort_key(b: AclBinding) -> tuple:
    return astuple(b)
