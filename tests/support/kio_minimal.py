"""Build simple, valid kio request entities from the schemas (no Hypothesis).

`minimal_entity(cls)` fills every field with a plain value: 0 for integers, "t" for
strings, b"" for bytes, empty arrays (or `array_len` elements of the same kind), the
field's default where it has one. `overrides` maps a field name (at any depth) to a
value, or to a callable of the entity class returning the value.
"""

from __future__ import annotations

import dataclasses
import datetime
import typing
import uuid
from typing import Any

from kio.schema.errors import ErrorCode
from kio.serial._introspect import get_field_tag, get_schema_field_type, is_optional
from kio.serial.readers import tz_aware_from_i64

PLAIN = {
    "string": "t",
    "bytes": b"",
    "records": b"",
    "bool": False,
    "uuid": uuid.UUID(int=0),
    "float64": 0.0,
    "error_code": ErrorCode.none,
    "timedelta_i32": datetime.timedelta(0),
    "timedelta_i64": datetime.timedelta(0),
}


def _plain(kafka_type: str) -> Any:
    if kafka_type in PLAIN:
        return PLAIN[kafka_type]
    if kafka_type == "datetime_i64":
        return tz_aware_from_i64(0)
    return 0


def minimal_entity(
    cls: type, *, array_len: int = 0, overrides: dict[str, Any] | None = None, fill_null=True
) -> Any:
    overrides = overrides or {}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.name in overrides:
            value = overrides[field.name]
            values[field.name] = value(cls) if callable(value) else value
            continue
        if get_field_tag(field) is not None and field.default is not dataclasses.MISSING:
            values[field.name] = field.default
            continue
        if is_optional(field) and not fill_null:
            values[field.name] = None
            continue
        tp = hints[field.name]
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if typing.get_origin(tp) is not tuple and args and typing.get_origin(tp) is not None:
            tp = args[0]
        if typing.get_origin(tp) is tuple:
            elem = typing.get_args(tp)[0]
            if dataclasses.is_dataclass(elem):
                item = minimal_entity(
                    elem, array_len=array_len, overrides=overrides, fill_null=fill_null
                )
            else:
                item = _plain(get_schema_field_type(field))
            values[field.name] = tuple(item for _ in range(array_len))
        elif dataclasses.is_dataclass(tp):
            values[field.name] = minimal_entity(
                tp, array_len=array_len, overrides=overrides, fill_null=fill_null
            )
        else:
            values[field.name] = _plain(get_schema_field_type(field))
    return cls(**values)
