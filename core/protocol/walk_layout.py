"""The wire layout of kio entity schemas, as the request walkers (core.protocol.walk_compile)
see it.

`field_kind` maps a field of a kio entity class to a `Kind` (fixed size, legacy or compact
string/bytes, nested entity, array), following kio's own writer rules; `split_fields` gives
an entity's plain fields in wire order and its tagged fields (KIP-482). `min_size`,
`entity_min_size` and `fixed_size` are the byte bounds the walkers check claimed counts
against; `is_flexible` and `header_schema` read what kio's class says of its version. All are
pure functions of the schema classes; the size bounds are cached.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any, cast

from kio.serial._introspect import (
    EntityField,
    EntityTupleField,
    PrimitiveTupleField,
    classify_field,
    get_field_tag,
    get_schema_field_type,
    is_optional,
)

FIXED_SIZES = {
    "int8": 1,
    "int16": 2,
    "int32": 4,
    "int64": 8,
    "uint8": 1,
    "uint16": 2,
    "uint32": 4,
    "uint64": 8,
    "float64": 8,
    "uuid": 16,
    "bool": 1,
    "error_code": 2,
    "timedelta_i32": 4,
    "timedelta_i64": 8,
    "datetime_i64": 8,
}


@dataclasses.dataclass(frozen=True)
class Kind:
    """How one value is laid out on the wire."""

    tag: str  # fixed | lstr | lbytes | cstr | entity | array
    size: int = 0  # fixed
    nullable: bool = False
    cls: type | None = None  # entity
    compact: bool = False  # array
    elem: Kind | None = None  # array

    @property
    def entity(self) -> type:
        assert self.cls is not None, self
        return self.cls


def is_flexible(cls: type) -> bool:
    """Whether a kio entity class is of a flexible (tagged fields) version."""
    return bool(cast(Any, cls).__flexible__)


def header_schema(cls: type) -> type:
    """The request header class a kio request class is sent with."""
    return cast(type, cast(Any, cls).__header_schema__)


def field_kind(cls: type, field: dataclasses.Field, is_tag: bool) -> Kind:
    """The wire layout of `field` of entity `cls`, following kio's own writer rules."""
    flexible = bool(is_flexible(cls))
    if cls.__name__ == "RequestHeader" and field.name == "client_id":
        return Kind("lstr", nullable=True)  # always a legacy nullable string (KIP-482)
    nullable = False if is_tag else is_optional(field)
    fc = classify_field(field)
    if isinstance(fc, EntityTupleField):
        return Kind("array", nullable=nullable, compact=flexible, elem=Kind("entity", cls=fc.type_))
    if isinstance(fc, EntityField):
        return Kind("entity", nullable=nullable, cls=fc.type_)
    prim = _primitive(get_schema_field_type(field), flexible, False)
    if isinstance(fc, PrimitiveTupleField):
        return Kind("array", nullable=nullable, compact=flexible, elem=prim)
    return _primitive(get_schema_field_type(field), flexible, nullable)


def _primitive(kafka_type: str, flexible: bool, nullable: bool) -> Kind:
    if kafka_type in FIXED_SIZES:
        return Kind("fixed", size=FIXED_SIZES[kafka_type])
    if kafka_type not in ("string", "bytes", "records"):
        raise TypeError(f"unknown kafka_type {kafka_type!r}")
    if flexible:
        return Kind("cstr", nullable=nullable)
    return Kind("lstr" if kafka_type == "string" else "lbytes", nullable=nullable)


def split_fields(cls: type) -> tuple[list[tuple[str, Kind]], dict[int, tuple[str, Kind]]]:
    """(plain fields in wire order, {tag: tagged field}) of an entity class."""
    plain: list[tuple[str, Kind]] = []
    tagged: dict[int, tuple[str, Kind]] = {}
    for field in dataclasses.fields(cls):
        tag = get_field_tag(field)
        kind = field_kind(cls, field, tag is not None)
        if tag is None:
            plain.append((field.name, kind))
        else:
            tagged[int(tag)] = (field.name, kind)
    return plain, tagged


@cache
def min_size(kind: Kind) -> int:
    """Fewest bytes any value of this layout takes (at least 1, so counts stay bounded)."""
    return max(_min_size(kind), 1)


def _min_size(kind: Kind) -> int:
    if kind.tag == "fixed":
        return kind.size
    if kind.tag == "lstr":
        return 2
    if kind.tag == "lbytes":
        return 4
    if kind.tag == "cstr":
        return 1
    if kind.tag == "array":
        return 1 if kind.compact else 4
    if kind.nullable:
        return 1
    return entity_min_size(kind.cls)


@cache
def entity_min_size(cls: type) -> int:
    plain, _ = split_fields(cls)
    return sum(_min_size(k) for _, k in plain) + (1 if is_flexible(cls) else 0)


@cache
def fixed_size(cls: type) -> int | None:
    """Byte size of an entity whose every instance has the same size, else None."""
    if is_flexible(cls):
        return None
    plain, _ = split_fields(cls)
    total = 0
    for _, kind in plain:
        if kind.tag == "fixed":
            total += kind.size
        elif kind.tag == "entity" and not kind.nullable and fixed_size(kind.cls) is not None:
            total += fixed_size(kind.cls)  # type: ignore[operator]
        else:
            return None
    return total
