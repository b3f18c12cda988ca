"""Cluster property definitions: the `Property` record, value checks and text typing.

`check_value` is the per-value gate (type, enum, bounds); `value_from_text` types a value
given as text. The builders (`_p`, `_int`, `_bool`, `_enum` and the keyword sets) are what
the property table modules use to declare entries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import yaml

MiB = 1024 * 1024
GiB = 1024 * MiB
ONE_WEEK_MS = 7 * 24 * 3600 * 1000

TYPES = ("boolean", "integer", "number", "string", "array")
VISIBILITIES = ("user", "tunable", "deprecated")


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    default: Any
    description: str
    nullable: bool = False
    needs_restart: bool = False
    visibility: str = "user"
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[str, ...] | None = None
    items_type: str | None = None
    items_enum: tuple[str, ...] | None = None
    units: str | None = None
    is_secret: bool = False
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        assert self.type in TYPES, self.name
        assert self.visibility in VISIBILITIES, self.name
        assert (self.type == "array") == (self.items_type is not None), self.name
        assert check_value(self, self.default) is None, f"bad default for {self.name}"

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "description": self.description,
            "nullable": self.nullable,
            "needs_restart": self.needs_restart,
            "visibility": self.visibility,
            "is_secret": self.is_secret,
            "default": self.default,
            "aliases": list(self.aliases),
        }
        optional = {"units": self.units, "minimum": self.minimum, "maximum": self.maximum}
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.enum is not None:
            out["enum_values"] = list(self.enum)
        if self.items_type is not None:
            items: dict[str, Any] = {"type": self.items_type}
            if self.items_enum is not None:
                items["enum_values"] = list(self.items_enum)
            out["items"] = items
        return out


def _scalar_type_error(type_name: str, value: Any) -> str | None:
    if type_name == "boolean":
        ok = isinstance(value, bool)
    elif type_name == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif type_name == "number":
        ok = (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        )
    else:
        ok = isinstance(value, str)
    return None if ok else f"expected {type_name}, got {_json_type(value)}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def check_value(prop: Property, value: Any) -> str | None:
    """None if `value` is acceptable for `prop`, else a one-line reason."""
    if value is None:
        return None if prop.nullable else "expected a value, got null"
    if prop.type == "array":
        if not isinstance(value, list):
            return f"expected array of {prop.items_type}, got {_json_type(value)}"
        for item in value:
            err = _scalar_type_error(prop.items_type or "string", item)
            if err is not None:
                return f"array item: {err}"
            if prop.items_enum is not None and item not in prop.items_enum:
                return f"array item {item!r} is not one of {', '.join(prop.items_enum)}"
        return None
    err = _scalar_type_error(prop.type, value)
    if err is not None:
        return err
    if prop.enum is not None and value not in prop.enum:
        return f"{value!r} is not one of {', '.join(prop.enum)}"
    if prop.minimum is not None and value < prop.minimum:
        return f"{value} is below the minimum {_num(prop.minimum)}"
    if prop.maximum is not None and value > prop.maximum:
        return f"{value} is above the maximum {_num(prop.maximum)}"
    return None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _p(name: str, type_: str, default: Any, description: str, **kw: Any) -> Property:
    return Property(name=name, type=type_, default=default, description=description, **kw)


def _int(name: str, default: int | None, description: str, **kw: Any) -> Property:
    return _p(name, "integer", default, description, **kw)


def _bool(name: str, default: bool | None, description: str, **kw: Any) -> Property:
    return _p(name, "boolean", default, description, **kw)


def _enum(
    name: str, values: tuple[str, ...], default: str, description: str, **kw: Any
) -> Property:
    return _p(name, "string", default, description, enum=values, **kw)


_ms = {"units": "ms"}
_bytes = {"units": "bytes"}
_tun = {"visibility": "tunable"}


_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def _scalar_from_text(text: str, type_name: str) -> Any:
    if type_name == "integer":
        return int(text, 10)
    if type_name == "number":
        return float(text)
    if type_name == "boolean":
        lowered = text.lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
        raise ValueError(text)
    return text


def value_from_text(
    text: str, type_name: str, *, nullable: bool = False, items_type: str | None = None
) -> Any:
    """Type a property value given as text (Kafka config values, CLI arguments).

    Best effort: text that does not parse is returned as given, so validation rejects it
    with the property's own per-key message.
    """
    if nullable and text.strip().lower() == "null":
        return None
    try:
        if type_name == "array":
            items = (
                yaml.safe_load(text)
                if text.strip().startswith("[")
                else [s.strip() for s in text.split(",")]
            )
            return [
                _scalar_from_text(str(i), items_type or "string") for i in items if str(i) != ""
            ]
        return _scalar_from_text(text, type_name)
    except (ValueError, TypeError, yaml.YAMLError):
        return text
