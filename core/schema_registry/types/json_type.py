"""JSON Schema (drafts 4 to 2020-12): `jsonschema` checks the schema against its meta-schema;
compatibility is content-model rules (json_compat): what the writer's schema accepts, the
reader's must accept too."""

from __future__ import annotations

import json

import jsonschema
import jsonschema.exceptions
import jsonschema.validators
import referencing
import referencing.exceptions
from referencing.jsonschema import DRAFT7, UnknownDialect, specification_with

from core.schema_registry.types import Dep, Parsed, SchemaError
from core.schema_registry.types.json_compat import incompatibilities


def _load(text: str) -> object:
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise SchemaError(f"not JSON: {exc}") from None
    if not isinstance(obj, dict | bool):
        raise SchemaError("a JSON Schema is an object or a boolean")
    return obj


def _sorted(obj: object) -> object:
    if isinstance(obj, dict):
        return {k: _sorted(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list):
        return [_sorted(v) for v in obj]
    return obj


def _resource(obj: object) -> referencing.Resource:
    try:
        return referencing.Resource.from_contents(obj, default_specification=DRAFT7)
    except referencing.exceptions.CannotDetermineSpecification as exc:
        raise SchemaError(str(exc)) from None


def _registry(deps: tuple[Dep, ...], registry: referencing.Registry, seen: set):
    for dep in deps:
        if dep.key in seen:
            continue
        seen.add(dep.key)
        registry = _registry(dep.deps, registry, seen)
        registry = registry.with_resource(dep.name, _resource(_load(dep.text)))
    return registry


def parse(text: str, deps: tuple[Dep, ...], normalize: bool) -> Parsed:
    obj = _load(text)
    if normalize:
        obj = _sorted(obj)
    if isinstance(obj, dict):
        dialect = obj.get("$schema")
        if dialect is not None:
            try:
                specification_with(str(dialect))
            except (referencing.exceptions.CannotDetermineSpecification, UnknownDialect):
                raise SchemaError(f"unknown $schema dialect '{dialect}'") from None
        validator = jsonschema.validators.validator_for(obj, default=jsonschema.Draft7Validator)
        try:
            validator.check_schema(obj)
        except jsonschema.exceptions.SchemaError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
            raise SchemaError(f"{exc.message} at {where}") from None
    registry = _registry(deps, referencing.Registry(), set())
    compact = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return Parsed("JSON", compact, (obj, registry))


def check(reader: Parsed, writer: Parsed) -> list[str]:
    (r, r_registry), (w, w_registry) = reader.obj, writer.obj
    return incompatibilities(r, w, r_registry, w_registry)
