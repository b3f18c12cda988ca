"""The one authorizer every Kafka request is checked against (Kafka's AclAuthorizer rules).

On when `kafka_enable_authorization` is true, or when it is null and `enable_sasl` is true;
off, everything is allowed. On: superusers (cluster property `superusers`, by user name) may do
everything; anyone else is denied unless an ALLOW binding matches and no DENY binding does. A
binding matches a request when its resource type is the request's, its pattern covers the name
(literal, literal "*", or prefixed), its principal is the request's or "User:*", its host the
client's address or "*", and its operation the request's or ALL; for ALLOW, an operation that
implies the request's counts too (DESCRIBE by READ/WRITE/DELETE/ALTER, DESCRIBE_CONFIGS by
ALTER_CONFIGS). Decisions are cached per ACL version (bounded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.security.acls import (
    IMPLIED_BY,
    AclStore,
    Operation,
    Permission,
    ResourceType,
    resource_matches,
)

MAX_CACHED_DECISIONS = 10_000
ANY_PRINCIPAL = "User:*"
ANY_HOST = "*"


class Authorizer:
    def __init__(self, acls: AclStore, config_get: Callable[[str], Any]) -> None:
        self.acls = acls
        self._get = config_get
        self._cache: dict[tuple[str, str, Operation, ResourceType, str], bool] = {}
        acls.on_change(self._cache.clear)

    @property
    def enabled(self) -> bool:
        value = self._get("kafka_enable_authorization")
        return bool(self._get("enable_sasl")) if value is None else bool(value)

    def is_superuser(self, principal: str) -> bool:
        kind, _, name = principal.partition(":")
        return kind == "User" and name in self._get("superusers")

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
