"""Avro's JSON encoding (unions as `{"type": value}`, bytes and fixed as code points 0-255)
to and from the values fastavro writes and reads, checked against the schema on the way in
(the message names the path of what is wrong). Schemas are used without logical types, so
values stay as their underlying Avro types both ways (as Confluent's proxy shows them)."""

from __future__ import annotations

from typing import Any, cast

PRIMITIVES = frozenset(("null", "boolean", "int", "long", "float", "double", "bytes", "string"))
NAMED = frozenset(("record", "error", "enum", "fixed"))
INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)


class AvroJsonError(Exception):
    pass


def strip_logical(schema: Any) -> Any:
    """The schema without logicalType annotations."""
    if isinstance(schema, list):
        return [strip_logical(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strip_logical(v) for k, v in schema.items() if k != "logicalType"}
    if "fields" in schema:
        out["fields"] = [
            {**f, "type": strip_logical(f.get("type"))} for f in schema["fields"]
        ]  # fmt: skip
    return out


def type_name(schema: Any) -> str:
    if isinstance(schema, str):
        return schema
    if isinstance(schema, list):
        return "union"
    kind = schema["type"]
    return schema["name"] if kind in NAMED else kind


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _fail(path: str, message: str) -> AvroJsonError:
    return AvroJsonError(f"{path or '(root)'}: {message}")


def _primitive(kind: str, datum: Any, path: str) -> Any:
    ok = True
    if kind == "null":
        ok = datum is None
    elif kind == "boolean":
        ok = isinstance(datum, bool)
    elif kind in ("int", "long"):
        lo, hi = INT_RANGE if kind == "int" else LONG_RANGE
        ok = isinstance(datum, int) and not isinstance(datum, bool) and lo <= datum <= hi
    elif kind in ("float", "double"):
        ok = isinstance(datum, (int, float)) and not isinstance(datum, bool)
    elif kind == "string":
        ok = isinstance(datum, str)
    elif kind == "bytes":
        return _code_points(datum, path)
    if not ok:
        raise _fail(path, f"expected {kind}, got {_json_type(datum)}")
    return datum


def _code_points(datum: Any, path: str, size: int | None = None) -> bytes:
    if not isinstance(datum, str):
        raise _fail(path, f"expected bytes as a string, got {_json_type(datum)}")
    try:
        data = datum.encode("latin-1")
    except UnicodeEncodeError:
        raise _fail(path, "bytes must be code points 0-255") from None
    if size is not None and len(data) != size:
        raise _fail(path, f"fixed of size {size} given {len(data)} bytes")
    return data


def _json_type(datum: Any) -> str:
    if datum is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}.get(
        type(datum), "object"
    )


def from_json(schema: Any, datum: Any, named: dict[str, Any], path: str = "") -> Any:
    """The value fastavro writes for Avro JSON `datum`; AvroJsonError when it does not fit."""
    if isinstance(schema, str):
        if schema in PRIMITIVES:
            return _primitive(schema, datum, path)
        return from_json(named[schema], datum, named, path)
    if isinstance(schema, list):
        return _union_from_json(schema, datum, named, path)
    kind = schema["type"]
    if kind in ("record", "error"):
        if not isinstance(datum, dict):
            raise _fail(path, f"expected a {schema['name']} record, got {_json_type(datum)}")
        out = {}
        for field in schema["fields"]:
            name = field["name"]
            where = f"{path}.{name}" if path else name
            if name in datum:
                out[name] = from_json(field["type"], datum[name], named, where)
            elif "default" in field:
                out[name] = field["default"]
            else:
                raise _fail(where, "missing (the field has no default)")
        return out
    if kind == "enum":
        if datum not in schema["symbols"]:
            raise _fail(path, f"{datum!r} is not a symbol of {schema['name']}")
        return datum
    if kind == "array":
        if not isinstance(datum, list):
            raise _fail(path, f"expected an array, got {_json_type(datum)}")
        return [from_json(schema["items"], v, named, f"{path}[{i}]") for i, v in enumerate(datum)]
    if kind == "map":
        if not isinstance(datum, dict):
            raise _fail(path, f"expected a map, got {_json_type(datum)}")
        return {k: from_json(schema["values"], v, named, f"{path}.{k}") for k, v in datum.items()}
    if kind == "fixed":
        return _code_points(datum, path, schema["size"])
    return _primitive(kind, datum, path)


def _union_from_json(schema: list, datum: Any, named: dict[str, Any], path: str) -> Any:
    if datum is None:
        if "null" in schema:
            return None
        raise _fail(path, "null is not one of the union's types")
    if not isinstance(datum, dict) or len(datum) != 1:
        raise _fail(path, 'a union value is {"<type>": value} or null')
    branch, value = next(iter(datum.items()))
    for candidate in schema:
        name = type_name(candidate)
        if branch in (name, _short(name)):
            return (name, from_json(candidate, value, named, f"{path}<{branch}>"))
    raise _fail(path, f"{branch!r} is not one of the union's types")


def to_json(schema: Any, value: Any, named: dict[str, Any]) -> Any:
    """Avro JSON for a value fastavro read."""
    if isinstance(schema, str):
        if schema in PRIMITIVES:
            return value.decode("latin-1") if schema == "bytes" else value
        return to_json(named[schema], value, named)
    if isinstance(schema, list):
        if value is None:
            return None
        for candidate in schema:
            if candidate != "null" and _matches(candidate, value, named):
                return {type_name(candidate): to_json(candidate, value, named)}
        return value
    kind = schema["type"]
    if kind in ("record", "error"):
        return {
            f["name"]: to_json(f["type"], value.get(f["name"]), named) for f in schema["fields"]
        }
    if kind == "array":
        return [to_json(schema["items"], v, named) for v in value]
    if kind == "map":
        return {k: to_json(schema["values"], v, named) for k, v in value.items()}
    if kind in ("fixed", "bytes"):
        return value.decode("latin-1")
    return value


def _matches(schema: Any, value: Any, named: dict[str, Any]) -> bool:
    if isinstance(schema, str) and schema not in PRIMITIVES:
        return _matches(named[schema], value, named)
    kind = schema if isinstance(schema, str) else schema["type"]
    if kind in ("int", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    checks = {
        "boolean": bool, "float": float, "double": float, "string": str, "bytes": bytes,
        "record": dict, "error": dict, "map": dict, "array": list, "fixed": bytes, "enum": str,
    }  # fmt: skip
    if not isinstance(value, checks.get(kind, object)):
        return False
    if kind in ("record", "error"):
        return set(cast(dict, value)) <= {f["name"] for f in schema["fields"]}
    if kind == "enum":
        return value in schema["symbols"]
    if kind == "fixed":
        return len(cast(bytes, value)) == schema["size"]
    return True
