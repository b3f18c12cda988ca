"""The one authorizer every Kafka request is checked against (Kafka's AclAuthorizer rules).

On when `kafka_enable_authorization` is true, or when it is null and `enable_sasl` is true;
off, everything is allowed. On: superusers (cluster property `superusers`, by user name) may do
everything; anyone else is denied unless an ALLOW binding matches and no DENY binding does. A
binding matches a request when its resource type is the request's, its pattern covers the name
(literal, literal "*", or prefixed), its principal is the request's or "User:*", its host the
client's address or "*", and its operation the request's or ALL; for ALLOW, an operation that
implies the request's counts too (DESCRIBE by READ/WRITE/DELETE/ALTER, DESCRIBE_CONFIGS by
ALTER_CONFIGS).

Decisions are cached twice, both bounded. Globally by (principal, host, operation, resource),
cleared when the ACLs change. And per connection (`Decisions`, kept by the connection's SASL
session: its principal and host never change) by (operation, resource type, name) only, the
hot path of every produce and fetch: valid while the authorizer's `generation` stands, which the
controller's ACL changes and changes of the authorization settings (`kafka_enable_authorization`,
`enable_sasl`, `superusers`, heard through `subscribe`) bump. Without `subscribe` the settings are
read at every decision and connections keep no decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from core.security.acls import (
    IMPLIED_BY,
    AclStore,
    Operation,
    Permission,
    ResourceType,
    resource_matches,
)

MAX_CACHED_DECISIONS = 10_000
MAX_CONNECTION_DECISIONS = 256
ANY_PRINCIPAL = "User:*"
ANY_HOST = "*"
SETTINGS = frozenset({"kafka_enable_authorization", "enable_sasl", "superusers"})
Subscribe = Callable[[Callable[[dict[str, Any]], None]], Any]


class Requester(Protocol):
    """What a decision needs of a request (core.server.context.RequestContext)."""

    @property
    def principal(self) -> str: ...

    @property
    def host(self) -> str: ...


class Decisions:
    """One connection's decisions, by (operation, resource type, name); see the module doc."""

    __slots__ = ("generation", "principal", "entries")

    def __init__(self) -> None:
        self.generation = -1
        self.principal: str | None = None
        self.entries: dict[tuple[str, str, str], bool] = {}


class Authorizer:
    def __init__(
        self, acls: AclStore, config_get: Callable[[str], Any], subscribe: Subscribe | None = None
    ) -> None:
        self.acls = acls
        self._get = config_get
        self._cache: dict[tuple[str, str, Operation, ResourceType, str], bool] = {}
        self.generation: int | None = None  # None: the settings are not followed (no cache)
        self._settings: tuple[bool, frozenset[str]] | None = None
        acls.on_change(self._acls_changed)
        if subscribe is not None:
            self.generation = 0
            self._settings = self._read_settings()
            subscribe(self._config_changed)

    def _acls_changed(self) -> None:
        self._cache.clear()
        if self.generation is not None:
            self.generation += 1

    def _config_changed(self, changed: dict[str, Any]) -> None:
        if self.generation is not None and not SETTINGS.isdisjoint(changed):
            self._settings = self._read_settings()
            self.generation += 1

    def _read_settings(self) -> tuple[bool, frozenset[str]]:
        value = self._get("kafka_enable_authorization")
        enabled = bool(self._get("enable_sasl")) if value is None else bool(value)
        return enabled, frozenset(self._get("superusers") or ())

    @property
    def enabled(self) -> bool:
        return (self._settings or self._read_settings())[0]

    def is_superuser(self, principal: str) -> bool:
        kind, _, name = principal.partition(":")
        return kind == "User" and name in (self._settings or self._read_settings())[1]

    def authorize_for(
        self,
        decisions: Decisions,
        requester: Requester,
        operation: str,
        resource_type: str,
        name: str,
    ) -> bool:
        """`authorize` for a request of the connection `decisions` belongs to, answered from the
        connection's earlier decisions while the generation stands."""
        generation = self.generation
        if generation is None:
            return self.authorize(
                requester.principal, requester.host, operation, resource_type, name
            )
        principal = requester.principal
        if decisions.generation != generation or decisions.principal != principal:
            decisions.entries.clear()
            decisions.generation, decisions.principal = generation, principal
        key = (operation, resource_type, name)
        decision = decisions.entries.get(key)
        if decision is None:
            decision = self.authorize(principal, requester.host, operation, resource_type, name)
            if len(decisions.entries) < MAX_CONNECTION_DECISIONS:
                decisions.entries[key] = decision
        return decision

    def authorize(
        self, principal: str, host: str, operation: str, resource_type: str, name: str
    ) -> bool:
        if not self.enabled or self.is_superuser(principal):
            return True
        key = (principal, host, Operation[operation], ResourceType[resource_type], name)
        decision = self._cache.get(key)
        if decision is None:
            decision = self._decide(*key)
            if len(self._cache) >= MAX_CACHED_DECISIONS:
                self._cache.clear()
            self._cache[key] = decision
        return decision

    def authorize_any(self, principal: str, host: str, operation: str, resource_type: str) -> bool:
        """Whether some resource of the type allows `operation` (Kafka's authorizeByResourceType,
        KIP-679: InitProducerId is allowed to anyone who may write some topic). A DENY for every
        name (literal "*" or the empty prefix) wins."""
        if not self.enabled or self.is_superuser(principal):
            return True
        op, rtype = Operation[operation], ResourceType[resource_type]
        allowing = {op, Operation.ALL}
        allowed = False
        for b in self.acls.for_type(rtype):
            if b.principal not in (principal, ANY_PRINCIPAL) or b.host not in (host, ANY_HOST):
                continue
            if b.operation not in allowing:
                continue
            if b.permission is Permission.ALLOW:
                allowed = True
            elif resource_matches(b, "") and (b.name == "*" or b.pattern_type.name == "PREFIXED"):
                return False
        return allowed

    def _decide(
        self, principal: str, host: str, op: Operation, rtype: ResourceType, name: str
    ) -> bool:
        allowing = {op, Operation.ALL} | IMPLIED_BY.get(op, frozenset())
        allowed = False
        for b in self.acls.applying_to(rtype, name):
            if b.principal not in (principal, ANY_PRINCIPAL) or b.host not in (host, ANY_HOST):
                continue
            if b.permission is Permission.DENY:
                if b.operation in (op, Operation.ALL):
                    return False
            elif b.operation in allowing:
                allowed = True
        return allowed
