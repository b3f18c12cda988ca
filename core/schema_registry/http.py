"""Request and response helpers: Confluent's content type, query flags, JSON bodies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from core.schema_registry import errors
from core.schema_registry.service import Registry
from core.schema_registry.store import Version

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
REGISTRY_KEY: web.AppKey[Registry] = web.AppKey("registry", Registry)


def encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def ok(body: Any, status: int = 200) -> web.Response:
    return ok_bytes(encode(body), status)


def ok_bytes(data: bytes, status: int = 200) -> web.Response:
    return web.Response(status=status, body=data, content_type=CONTENT_TYPE)


def registry(request: web.Request) -> Registry:
    return request.app[REGISTRY_KEY]


def flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "false").strip().lower() == "true"


def int_param(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise errors.bad_request(f"query parameter '{name}' must be an integer") from None


def schema_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    try:
        return int(raw)
    except ValueError:
        raise errors.schema_not_found(f"Schema {raw} not found") from None


async def json_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        raise errors.RegistryError(422, "Request body is empty")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.bad_request(f"Unrecognized JSON body: {exc}") from None
    except RecursionError:
        raise errors.bad_request("Unrecognized JSON body: nested too deeply") from None


def version_body(v: Version) -> dict:
    body: dict[str, Any] = {"subject": v.subject, "version": v.version, "id": v.id}
    if v.schema_type != "AVRO":
        body["schemaType"] = v.schema_type
    if v.references:
        body["references"] = v.references
    body["schema"] = v.schema
    return body


def schema_body(v: Version) -> dict:
    body: dict[str, Any] = {}
    if v.schema_type != "AVRO":
        body["schemaType"] = v.schema_type
    if v.references:
        body["references"] = v.references
    body["schema"] = v.schema
    return body


def version_json(v: Version) -> bytes:
    """version_body(v) encoded, once per version (lookups answer it again and again)."""
    data = v.encoded.get("version")
    if data is None:
        data = v.encoded["version"] = encode(version_body(v))
    return data


def schema_json(v: Version) -> bytes:
    """schema_body(v) encoded, once per version."""
    data = v.encoded.get("schema")
    if data is None:
        data = v.encoded["schema"] = encode(schema_body(v))
    return data
