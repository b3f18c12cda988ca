"""AlterClientQuotas (49): set or remove client quotas (needs ALTER_CONFIGS on the cluster).

Each entry is validated on its own (core.cluster.quotas.check_entity / check_ops) and answered
with its own error; the valid ones go to the controller in one command (none with
validate_only)."""

from __future__ import annotations

from typing import Any

from core.cluster.errors import ClusterError, error_message, to_error_code
from core.cluster.quotas import Entity, Op, QuotaError, check_entity, check_ops
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 49
MIN_VERSION = 0
MAX_VERSION = 1
MAX_ENTRIES = 10_000


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    quotas = ctx.services.client_quotas
    store = None if quotas is None else quotas.store
    rows = request.entries[:MAX_ENTRIES]
    entities: list[Entity] = [
        tuple(sorted(((e.entity_type, e.entity_name) for e in row.entity), key=_component))
        for row in rows
    ]
    if store is None:
        code, message = ErrorCode.unknown_server_error, "client quotas are not available"
        return _answer(ctx, m, [(e, code, message) for e in entities])
    if not ctx.authorized("ALTER_CONFIGS", "CLUSTER", "kafka-cluster"):
        code = ErrorCode.cluster_authorization_failed
        return _answer(ctx, m, [(e, code, None) for e in entities])
    results: list[tuple[Entity, ErrorCode, str | None]] = []
    valid: list[tuple[Entity, list[Op]]] = []
    for entity, row in zip(entities, rows, strict=True):
        ops = [Op(o.key, float(o.value), bool(o.remove)) for o in row.ops]
        try:
            stored = check_entity(entity)
            check_ops(ops)
        except QuotaError as exc:
            results.append((entity, exc.code, exc.message))
            continue
        valid.append((stored, ops))
        results.append((entity, ErrorCode.none, None))
    try:
        await store.alter(valid, bool(request.validate_only))
    except ClusterError as exc:
        code, message = to_error_code(exc), error_message(exc)
        results = [(e, code, message) if c == ErrorCode.none else (e, c, t) for e, c, t in results]
    return _answer(ctx, m, results)


def _answer(ctx: RequestContext, m: Any, results: list) -> Any:
    entries = tuple(
        build(
            m.EntryData,
            error_code=code,
            error_message=message,
            entity=tuple(build(m.EntityData, entity_type=t, entity_name=n) for t, n in entity),
        )
        for entity, code, message in results
    )
    return build(ctx.response_class, throttle_time=ZERO, entries=entries)


def _component(component: tuple[str, str | None]) -> tuple[str, bool, str]:
    """Sort key of an entity component: a null name (the default entity) beside a named one of
    the same type compares without a TypeError (a malformed request: refused per entry)."""
    entity_type, name = component
    return entity_type, name is not None, name or ""
