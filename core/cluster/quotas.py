"""Client quotas as Kafka's DescribeClientQuotas / AlterClientQuotas model them, stored in the
controller log and applied on every node.

An entity is one component, as Redpanda supports: `client-id` with a name (that client id),
`client-id` with no or an empty name (the default for every client id without its own quota),
or `client-id-prefix` with a name (every client id starting with it; such clients share one
budget). `user` and `ip` entities are refused as Redpanda refuses them (UNSUPPORTED_VERSION,
"Entity type 'user' not yet supported"), other types too, with Redpanda's codes and texts.
Keys: `producer_byte_rate`, `consumer_byte_rate` (bytes per second) and
`controller_mutation_rate` (partitions created per second: core.server.quotas enforces it on
CreateTopics and CreatePartitions). Command "client_quotas_alter" {"entries": [{"entity": [[type,
name]], "ops": [[key, value, remove]]}]}; the leader validates, so replay never fails.

`limit(client_id, key)` answers the enforcement question (core.server.quotas): the rate that
applies to a client id and the name of the budget it draws from. Precedence as Redpanda's:
the exact client id, then the longest matching prefix, then the default.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from core.cluster.controller_snapshot import offer_state
from core.protocol.errors import ErrorCode

CLIENT_QUOTAS_ALTER = "client_quotas_alter"
CLIENT_ID = "client-id"
CLIENT_ID_PREFIX = "client-id-prefix"
KAFKA_ONLY_TYPES = frozenset({"user", "ip"})  # valid Kafka entity types Redpanda does not keep
PRODUCER_BYTE_RATE = "producer_byte_rate"
CONSUMER_BYTE_RATE = "consumer_byte_rate"
CONTROLLER_MUTATION_RATE = "controller_mutation_rate"
KEYS = (PRODUCER_BYTE_RATE, CONSUMER_BYTE_RATE, CONTROLLER_MUTATION_RATE)  # Redpanda's order
PREFIX_AS_DEFAULT = (
    "Invalid quota entity type, client-id-prefix entity should not be used at the default "
    "level (use client-id default instead)."
)
MATCH_EXACT, MATCH_DEFAULT, MATCH_ANY = 0, 1, 2

Entity = tuple[tuple[str, str | None], ...]  # sorted (type, name|None) components


class QuotaError(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Op:
    key: str
    value: float
    remove: bool


@dataclass(frozen=True, slots=True)
class Filter:
    entity_type: str
    match_type: int
    match: str | None


def entity_text(entity: Entity) -> str:
    return ",".join(f"{t}={'<default>' if n is None else n}" for t, n in entity)


def _unsupported(etype: str) -> QuotaError:
    if etype in KAFKA_ONLY_TYPES:
        return QuotaError(ErrorCode.unsupported_version, f"Entity type '{etype}' not yet supported")
    return QuotaError(ErrorCode.unsupported_version, f"Custom entity type '{etype}' not supported")


def check_entity(entity: Entity) -> Entity:
    """The entity as stored (a client-id with an empty name is the default), or QuotaError
    with Redpanda's code and text (its AlterClientQuotas make_key)."""
    if len(entity) != 1:
        raise QuotaError(ErrorCode.invalid_request, "Invalid client quota entity")
    ((etype, name),) = entity
    if etype == CLIENT_ID:
        return ((CLIENT_ID, name or None),)
    if etype == CLIENT_ID_PREFIX:
        if not name:
            raise QuotaError(ErrorCode.invalid_request, PREFIX_AS_DEFAULT)
        return entity
    if etype in KAFKA_ONLY_TYPES:
        raise _unsupported(etype)
    raise QuotaError(ErrorCode.invalid_request, f"Unhandled client quota entity type: {etype}")


def check_ops(ops: Iterable[Op]) -> None:
    for op in ops:
        if op.key not in KEYS:
            raise QuotaError(ErrorCode.invalid_request, f"Invalid configuration key {op.key}")
        if not op.remove and not (op.value > 0 and op.value == int(op.value)):
            raise QuotaError(
                ErrorCode.invalid_request,
                f"Quota {op.key} must be a positive integer, got {op.value!r}",
            )


def check_filters(filters: Iterable[Filter]) -> None:
    """Redpanda's DescribeClientQuotas make_filter, component by component; every component
    filters the one client-id key part, so a second one is a duplicate."""
    for i, f in enumerate(filters):
        if f.match_type == MATCH_EXACT and f.match is None:
            raise QuotaError(
                ErrorCode.invalid_request, "Unspecified match field for exact_name match type"
            )
        if f.match_type not in (MATCH_EXACT, MATCH_DEFAULT, MATCH_ANY):
            raise QuotaError(ErrorCode.invalid_request, f"Unknown match type {f.match_type}")
        if f.entity_type not in (CLIENT_ID, CLIENT_ID_PREFIX):
            raise _unsupported(f.entity_type)
        if f.match_type == MATCH_DEFAULT and f.entity_type == CLIENT_ID_PREFIX:
            raise QuotaError(ErrorCode.invalid_request, PREFIX_AS_DEFAULT)
        if i > 0:
            raise QuotaError(
                ErrorCode.invalid_request,
                f"Duplicate filter component for entity type '{f.entity_type}'",
            )


def _component_matches(f: Filter, name: str | None) -> bool:
    if f.match_type == MATCH_EXACT:
        return name == f.match
    if f.match_type == MATCH_DEFAULT:
        return name is None
    return True


def matches(entity: Entity, filters: list[Filter], strict: bool) -> bool:
    """Kafka's filter semantics: every filtered type is present and matches; `strict` also
    excludes entities with types the filters do not name."""
    names = dict(entity)
    for f in filters:
        if f.entity_type not in names or not _component_matches(f, names[f.entity_type]):
            return False
    return not strict or len(names) == len({f.entity_type for f in filters})


class Controller(Protocol):
    def register(self, command_type: str, apply_fn: Callable[[dict[str, Any]], None]) -> None: ...

    def submit(self, command_type: str, payload: dict[str, Any]) -> Awaitable[int]: ...


class QuotaStore:
    """The replicated client-quota table; every change goes through the controller log."""

    def __init__(self, controller: Controller) -> None:
        self._controller = controller
        self._quotas: dict[Entity, dict[str, float]] = {}
        self._prefixes: list[tuple[str, dict[str, float]]] = []  # longest prefix first
        self.empty = True  # no quota at all: enforcement has nothing to look up
        controller.register(CLIENT_QUOTAS_ALTER, self._apply)
        offer_state(
            controller, "client_quotas", (CLIENT_QUOTAS_ALTER,), self.snapshot, self.restore
        )

    # ---- replicated state ----------------------------------------------------------------------
    def _apply(self, payload: dict[str, Any]) -> None:
        for entry in payload["entries"]:
            entity: Entity = tuple((str(t), n) for t, n in entry["entity"])
            values = self._quotas.setdefault(entity, {})
            for key, value, remove in entry["ops"]:
                if remove:
                    values.pop(key, None)
                else:
                    values[key] = float(value)
            if not values:
                del self._quotas[entity]
        self._reindex()

    def _reindex(self) -> None:
        prefixes = [
            (str(e[0][1]), v) for e, v in self._quotas.items() if e[0][0] == CLIENT_ID_PREFIX
        ]
        self._prefixes = sorted(prefixes, key=lambda p: -len(p[0]))
        self.empty = not self._quotas

    def snapshot(self) -> dict[str, Any]:
        return {
            "quotas": [[list(map(list, e)), v] for e, v in sorted(self._quotas.items(), key=_k)]
        }

    def restore(self, state: dict[str, Any]) -> None:
        self._quotas = {tuple((t, n) for t, n in e): dict(v) for e, v in state["quotas"]}
        self._reindex()

    # ---- reads ---------------------------------------------------------------------------------
    def describe(
        self, filters: list[Filter], strict: bool
    ) -> list[tuple[Entity, dict[str, float]]]:
        check_filters(filters)
        return [
            (e, {k: v[k] for k in KEYS if k in v})  # values in Redpanda's order
            for e, v in sorted(self._quotas.items(), key=_k)
            if matches(e, filters, strict)
        ]

    def limit(self, client_id: str | None, key: str) -> tuple[str, float] | None:
        """(budget name, rate) of the quota `key` that applies to `client_id`, or None."""
        cid = client_id or ""
        exact = self._quotas.get(((CLIENT_ID, cid),))
        if exact and key in exact:
            return f"client-id={cid}", exact[key]
        for prefix, values in self._prefixes:
            if key in values and cid.startswith(prefix):
                return f"client-id-prefix={prefix}", values[key]
        default = self._quotas.get(((CLIENT_ID, None),))
        if default and key in default:
            return f"client-id={cid}", default[key]
        return None

    # ---- writes --------------------------------------------------------------------------------
    async def alter(self, entries: list[tuple[Entity, list[Op]]], validate_only: bool) -> None:
        rows = [
            {"entity": [list(c) for c in entity], "ops": [[o.key, o.value, o.remove] for o in ops]}
            for entity, ops in entries
        ]
        if rows and not validate_only:
            await self._controller.submit(CLIENT_QUOTAS_ALTER, {"entries": rows})


def _k(item: tuple[Entity, Any]) -> str:
    return entity_text(item[0])
