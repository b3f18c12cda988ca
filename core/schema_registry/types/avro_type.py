"""AVRO: the `avro` library parses and resolves reader against writer (Avro's own rules)."""

from __future__ import annotations

import json

import avro.constants
import avro.errors
import avro.name
import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from core.schema_registry.types import Dep, Parsed, SchemaError

# The order Avro's own writers use; other attributes follow sorted.
_KEY_ORDER: tuple[str, ...] = (
    "type",
    "name",
    "namespace",
    "doc",
    "aliases",
    "fields",
    "symbols",
    "items",
)
_KEY_ORDER += ("values", "size", "default", "order", "logicalType", "precision", "scale")


def _load(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError as exc:
        # A bare name such as `string` is how some clients write a primitive.
        if text.strip() in avro.constants.PRIMITIVE_TYPES:
            return text.strip()
        raise SchemaError(f"not JSON: {exc}") from None


def _normal(obj: object) -> object:
    if isinstance(obj, dict):
        if set(obj) == {"type"} and isinstance(obj["type"], str):
            return obj["type"]  # {"type": "string"} is "string"
        keys = [k for k in _KEY_ORDER if k in obj] + sorted(k for k in obj if k not in _KEY_ORDER)
        return {k: _normal(obj[k]) for k in keys}
    if isinstance(obj, list):
        return [_normal(v) for v in obj]
    return obj


def _add_deps(deps: tuple[Dep, ...], names: avro.name.Names, seen: set) -> None:
    for dep in deps:
        if dep.key in seen:
            continue
        seen.add(dep.key)
        _add_deps(dep.deps, names, seen)
        avro.schema.make_avsc_object(_load(dep.text), names)


def parse(text: str, deps: tuple[Dep, ...], normalize: bool) -> Parsed:
    obj = _load(text)
    if normalize:
        obj = _normal(obj)
    names = avro.name.Names()
    try:
        _add_deps(deps, names, set())
        schema = avro.schema.make_avsc_object(obj, names)
    except (avro.errors.AvroException, TypeError, KeyError, AttributeError, ValueError) as exc:
        raise SchemaError(str(exc) or type(exc).__name__) from None
    compact = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return Parsed("AVRO", compact, schema)


def check(reader: Parsed, writer: Parsed) -> list[str]:
    result = ReaderWriterCompatibilityChecker().get_compatibility(reader.obj, writer.obj)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = [k.name for k in result.incompatibilities]
    details = sorted(result.messages) or ["incompatible"]
    where = ", ".join(sorted(result.locations))
    return [f"{kind}: {msg} at {where}" for kind, msg in zip(kinds or ["INCOMPATIBLE"], details)]
