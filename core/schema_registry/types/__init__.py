"""Schema types: parse (with references), normalize, and check compatibility.

Each type module exposes `parse(text, deps, normalize) -> Parsed` and
`check(reader, writer) -> list[str]` (the reasons the reader cannot read the writer's data;
empty when compatible). `deps` are the resolved references, depth first.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any


class SchemaError(Exception):
    """The schema text is invalid; the message says what and where."""


@dataclass(frozen=True)
class Dep:
    """A resolved reference: the name it is imported by, its text, and its own references."""

    name: str
    key: tuple[str, int]  # (subject, version)
    text: str
    deps: tuple[Dep, ...] = field(default=())


@dataclass(frozen=True)
class Parsed:
    schema_type: str
    text: str  # the form stored, compared for identity, and returned
    obj: Any  # the library's parsed form, for compatibility checks


TYPES = ("JSON", "PROTOBUF", "AVRO")


_MODULES = {"AVRO": "avro_type", "JSON": "json_type", "PROTOBUF": "proto_type"}


def _module(schema_type: str) -> ModuleType:
    """Imported on first use: each type's libraries load only when a schema of it arrives."""
    if schema_type not in _MODULES:
        raise SchemaError(f"unknown schema type '{schema_type}'")
    return importlib.import_module(f"core.schema_registry.types.{_MODULES[schema_type]}")


def parse(schema_type: str, text: str, deps: tuple[Dep, ...], normalize: bool) -> Parsed:
    try:
        return _module(schema_type).parse(text, deps, normalize)
    except SchemaError:
        raise
    except RecursionError:
        raise SchemaError("schema nested too deeply") from None
    except Exception as exc:  # a library's own error for bad input is still bad input
        raise SchemaError(f"{type(exc).__name__}: {exc}") from None


def check(reader: Parsed, writer: Parsed) -> list[str]:
    if reader.schema_type != writer.schema_type:
        return [f"schema type changed from {writer.schema_type} to {reader.schema_type}"]
    return _module(reader.schema_type).check(reader, writer)
