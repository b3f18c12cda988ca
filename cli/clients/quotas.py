"""DescribeClientQuotas (48) and AlterClientQuotas (49) over kafka-python's admin connection, as
kadm models them: an entity is a list of (type, name | None) components, a described quota its
entity and {key: value}, an alteration an entity and ops (key, value, remove)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import kafka.errors as kerr
from kafka.protocol.admin import AlterClientQuotasRequest, DescribeClientQuotasRequest

from cli.clients import kafka as kc
from cli.config.params import Params
from cli.errors import KafkaRequestFailed

Entity = list[tuple[str, str | None]]
MATCH_EXACT, MATCH_DEFAULT, MATCH_ANY = 0, 1, 2


@dataclass
class Described:
    entity: Entity
    values: dict[str, float] = field(default_factory=dict)


@dataclass
class Altered:
    entity: Entity
    error: str | None  # "ERROR_NAME: message", None when OK


def _send(p: Params, request: Any) -> Any:
    with kc.admin_session(p) as admin:
        manager = admin._manager  # kafka-python's connection manager: sends any request
        return manager.run(manager.send, request)


def describe(
    p: Params, components: list[tuple[str, int, str | None]], strict: bool
) -> list[Described]:
    """Quotas matching the (type, match type, name) components."""
    request = DescribeClientQuotasRequest(
        components=[
            DescribeClientQuotasRequest.ComponentData(entity_type=t, match_type=m, match=n)
            for t, m, n in components
        ],
        strict=strict,
    )
    response = _send(p, request)
    if response.error_code:
        error = kerr.for_code(response.error_code)
        raise KafkaRequestFailed(
            f"{kc.error_name(error)}: {response.error_message or error.description}"
        )
    return [
        Described(
            entity=sorted((e.entity_type, e.entity_name) for e in entry.entity),
            values={v.key: v.value for v in entry.values},
        )
        for entry in response.entries or []
    ]


def alter(
    p: Params, entries: list[tuple[Entity, list[tuple[str, float, bool]]]], validate_only: bool
) -> list[Altered]:
    R = AlterClientQuotasRequest
    request = R(
        entries=[
            R.EntryData(
                entity=[R.EntryData.EntityData(entity_type=t, entity_name=n) for t, n in entity],
                ops=[R.EntryData.OpData(key=k, value=v, remove=r) for k, v, r in ops],
            )
            for entity, ops in entries
        ],
        validate_only=validate_only,
    )
    response = _send(p, request)
    out = []
    for entry in response.entries:
        error = None
        if entry.error_code:
            cls = kerr.for_code(entry.error_code)
            error = f"{kc.error_name(cls)}: {entry.error_message or cls.description}"
        out.append(Altered(sorted((e.entity_type, e.entity_name) for e in entry.entity), error))
    return out


def entity_text(entity: Entity) -> str:
    """rpk's `type=name,...` with `<default>` for a default component."""
    return ",".join(f"{t}={'<default>' if n is None else n}" for t, n in sorted(entity))


def value_text(value: float) -> str:
    """Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest exact decimal, no exponent."""
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" not in text:
        return text
    return format(value, "f").rstrip("0").rstrip(".")
