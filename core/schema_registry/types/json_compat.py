"""JSON Schema compatibility: can data valid under the writer's schema be read by the reader's?

Content-model rules in the manner of Confluent's and Karapace's diff checks (written anew):
types (integer widens to number), enum and const, required, properties added to or removed
from open and closed content models, additionalProperties, numeric and length bounds, items,
combinators (every writer branch must be accepted by some reader branch), and local `$ref`s.
Each message names the JSON pointer where the change is.
"""

from __future__ import annotations

from typing import Any

NUMERIC = {"integer", "number"}
MAX_DEPTH = 64
BOUNDS_MAX = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
BOUNDS_MIN = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")


def incompatibilities(reader: Any, writer: Any, r_registry=None, w_registry=None) -> list[str]:
    return _Check(reader, writer, r_registry, w_registry).run()


class _Check:
    def __init__(self, reader, writer, r_registry, w_registry) -> None:
        self.roots = (reader, writer)
        self.registries = (r_registry, w_registry)
        self.messages: list[str] = []

    def run(self) -> list[str]:
        self.compare(self.roots[0], self.roots[1], "#", 0)
        return self.messages

    def fail(self, where: str, what: str) -> None:
        self.messages.append(f"{what} at {where}")

    def resolve(self, schema: Any, side: int, depth: int) -> Any:
        for _ in range(8):
            if not isinstance(schema, dict) or not isinstance(schema.get("$ref"), str):
                return schema
            ref = schema["$ref"]
            target = None
            if ref.startswith("#"):
                target = _pointer(self.roots[side], ref[1:])
            elif self.registries[side] is not None:
                try:
                    target = self.registries[side].contents(ref.split("#")[0])
                except Exception:
                    target = None
            if target is None:
                return {}
            schema = (
                {**{k: v for k, v in schema.items() if k != "$ref"}, **target}
                if len(schema) > 1
                else target
            )
        return schema

    def compare(self, reader: Any, writer: Any, where: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        reader, writer = self.resolve(reader, 0, depth), self.resolve(writer, 1, depth)
        if reader is True or reader == {}:
            return  # the reader accepts anything
        if writer is False:
            return  # the writer wrote nothing
        if reader is False:
            self.fail(where, "reader schema rejects everything (false)")
            return
        if writer is True or writer == {}:
            self.fail(where, "reader schema is more restrictive than an unconstrained writer")
            return
        if not isinstance(reader, dict) or not isinstance(writer, dict):
            return
        if self.combinators(reader, writer, where, depth):
            return
        self.types(reader, writer, where)
        self.enums(reader, writer, where)
        self.bounds(reader, writer, where)
        self.objects(reader, writer, where, depth)
        self.arrays(reader, writer, where, depth)

    def combinators(self, reader: dict, writer: dict, where: str, depth: int) -> bool:
        for key in ("oneOf", "anyOf"):
            if isinstance(writer.get(key), list):
                for i, branch in enumerate(writer[key]):
                    merged = {**{k: v for k, v in writer.items() if k != key}, **_as_dict(branch)}
                    self.compare(reader, merged, f"{where}/{key}/{i}", depth + 1)
                return True
        for key in ("oneOf", "anyOf"):
            if isinstance(reader.get(key), list):
                for branch in reader[key]:
                    merged = {**{k: v for k, v in reader.items() if k != key}, **_as_dict(branch)}
                    if not incompatibilities(merged, writer, *self.registries):
                        return True
                self.fail(where, f"no {key} branch of the reader accepts the writer's schema")
                return True
        if isinstance(reader.get("allOf"), list) or isinstance(writer.get("allOf"), list):
            r, w = _merge_all_of(reader), _merge_all_of(writer)
            self.compare(r, w, where, depth + 1)
            return True
        if "not" in reader or "not" in writer:
            if reader.get("not") != writer.get("not"):
                self.fail(where, "'not' changed")
        return False

    def types(self, reader: dict, writer: dict, where: str) -> None:
        r, w = _types(reader), _types(writer)
        if r is None:
            return
        if w is None:
            self.fail(where, f"type narrowed to {sorted(r)}")
            return
        missing = {t for t in w if t not in r and not (t == "integer" and "number" in r)}
        if missing:
            self.fail(where, f"type changed: {sorted(missing)} no longer accepted")

    def enums(self, reader: dict, writer: dict, where: str) -> None:
        if "enum" in reader:
            r_values = reader["enum"] if isinstance(reader["enum"], list) else []
            if "enum" not in writer and "const" not in writer:
                self.fail(where, "enum added")
            else:
                w_values = writer.get("enum") if "enum" in writer else [writer.get("const")]
                gone = [v for v in w_values or [] if v not in r_values]
                if gone:
                    self.fail(where, f"enum values removed: {gone}")
        if "const" in reader and reader["const"] != writer.get("const", object()):
            if not ("enum" in writer and writer["enum"] == [reader["const"]]):
                self.fail(where, "const added or changed")

    def bounds(self, reader: dict, writer: dict, where: str) -> None:
        for key in BOUNDS_MAX:
            if _num(reader.get(key)) is not None:
                w = _num(writer.get(key))
                if w is None or reader[key] < w:
                    self.fail(where, f"{key} added or decreased")
        for key in BOUNDS_MIN:
            if _num(reader.get(key)) is not None:
                w = _num(writer.get(key))
                if w is None or reader[key] > w:
                    self.fail(where, f"{key} added or increased")
        for key in ("pattern", "multipleOf", "format"):
            if key in reader and reader[key] != writer.get(key):
                self.fail(where, f"{key} added or changed")

    def objects(self, reader: dict, writer: dict, where: str, depth: int) -> None:
        r_props, w_props = _dict(reader.get("properties")), _dict(writer.get("properties"))
        r_extra, w_extra = (
            reader.get("additionalProperties", True),
            writer.get("additionalProperties", True),
        )
        for name, r_schema in r_props.items():
            here = f"{where}/properties/{name}"
            if name in w_props:
                self.compare(r_schema, w_props[name], here, depth + 1)
            elif w_extra is not False:
                # the writer's open content model may have written anything under this name
                self.compare(
                    r_schema, w_extra if isinstance(w_extra, dict) else True, here, depth + 1
                )
        for name, w_schema in w_props.items():
            if name in r_props:
                continue
            here = f"{where}/properties/{name}"
            if r_extra is False:
                self.fail(here, "property removed from a closed content model")
            elif isinstance(r_extra, dict):
                self.compare(r_extra, w_schema, here, depth + 1)
        if r_extra is False and w_extra is not False:
            self.fail(where, "additionalProperties narrowed to false")
        elif isinstance(r_extra, dict) and w_extra is not False:
            self.compare(
                r_extra,
                w_extra if isinstance(w_extra, dict) else True,
                f"{where}/additionalProperties",
                depth + 1,
            )
        r_req, w_req = set(_list(reader.get("required"))), set(_list(writer.get("required")))
        added = sorted(r_req - w_req)
        if added:
            self.fail(where, f"required properties added: {added}")

    def arrays(self, reader: dict, writer: dict, where: str, depth: int) -> None:
        r_items, w_items = reader.get("items"), writer.get("items")
        if isinstance(r_items, dict | bool) and not isinstance(r_items, list):
            if isinstance(w_items, dict | bool):
                self.compare(r_items, w_items, f"{where}/items", depth + 1)
            elif w_items is None:
                self.compare(r_items, True, f"{where}/items", depth + 1)
        if reader.get("uniqueItems") is True and writer.get("uniqueItems") is not True:
            self.fail(where, "uniqueItems added")


def _types(schema: dict) -> set[str] | None:
    value = schema.get("type")
    if value is None:
        return None
    return {value} if isinstance(value, str) else {t for t in value if isinstance(t, str)}


def _num(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else ({} if value is True else {"not": {}})


def _merge_all_of(schema: dict) -> dict:
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for part in _list(schema.get("allOf")):
        for key, value in _as_dict(part).items():
            if key == "properties":
                merged["properties"] = {**_dict(merged.get("properties")), **_dict(value)}
            elif key == "required":
                merged["required"] = sorted(set(_list(merged.get("required"))) | set(_list(value)))
            else:
                merged.setdefault(key, value)
    return merged


def _pointer(document: Any, pointer: str) -> Any:
    node = document
    for part in [p for p in pointer.split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
