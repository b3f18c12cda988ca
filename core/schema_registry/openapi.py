"""The registry's OpenAPI 3 document (served at /openapi.json), built from one table."""

from __future__ import annotations

from typing import Any

JSON_CT = "application/vnd.schemaregistry.v1+json"
_BOOL = {"type": "boolean"}
_STR = {"type": "string"}
_INT = {"type": "integer"}
_REF = {
    "type": "object",
    "properties": {"name": _STR, "subject": _STR, "version": _INT},
    "required": ["name", "subject", "version"],
}
SCHEMA_BODY = {
    "type": "object",
    "properties": {
        "schema": _STR,
        "schemaType": {"type": "string", "enum": ["AVRO", "JSON", "PROTOBUF"]},
        "references": {"type": "array", "items": _REF},
        "id": _INT,
        "version": _INT,
    },
    "required": ["schema"],
}
CONFIG_BODY = {"type": "object", "properties": {"compatibility": _STR}}
MODE_BODY = {"type": "object", "properties": {"mode": _STR}}

# (method, path, query parameters, request body schema or None)
OPERATIONS: list[tuple[str, str, dict[str, dict], dict | None]] = [
    ("get", "/", {}, None),
    ("get", "/status/ready", {}, None),
    ("get", "/schemas/types", {}, None),
    ("get", "/schemas", {"subjectPrefix": _STR, "deleted": _BOOL, "latestOnly": _BOOL, "offset": _INT, "limit": _INT}, None),
    ("get", "/schemas/ids/{id}", {}, None),
    ("get", "/schemas/ids/{id}/schema", {}, None),
    ("get", "/schemas/ids/{id}/versions", {"deleted": _BOOL}, None),
    ("get", "/schemas/ids/{id}/subjects", {"deleted": _BOOL}, None),
    ("get", "/subjects", {"subjectPrefix": _STR, "deleted": _BOOL, "deletedOnly": _BOOL}, None),
    ("post", "/subjects/{subject}", {"normalize": _BOOL, "deleted": _BOOL}, SCHEMA_BODY),
    ("delete", "/subjects/{subject}", {"permanent": _BOOL}, None),
    ("get", "/subjects/{subject}/versions", {"deleted": _BOOL}, None),
    ("post", "/subjects/{subject}/versions", {"normalize": _BOOL}, SCHEMA_BODY),
    ("get", "/subjects/{subject}/versions/{version}", {"deleted": _BOOL}, None),
    ("delete", "/subjects/{subject}/versions/{version}", {"permanent": _BOOL}, None),
    ("get", "/subjects/{subject}/versions/{version}/schema", {"deleted": _BOOL}, None),
    ("get", "/subjects/{subject}/versions/{version}/referencedby", {}, None),
    ("post", "/compatibility/subjects/{subject}/versions/{version}", {"verbose": _BOOL, "normalize": _BOOL}, SCHEMA_BODY),
    ("post", "/compatibility/subjects/{subject}/versions", {"verbose": _BOOL, "normalize": _BOOL}, SCHEMA_BODY),
    ("get", "/config", {}, None),
    ("put", "/config", {}, CONFIG_BODY),
    ("delete", "/config", {}, None),
    ("get", "/config/{subject}", {"defaultToGlobal": _BOOL}, None),
    ("put", "/config/{subject}", {}, CONFIG_BODY),
    ("delete", "/config/{subject}", {}, None),
    ("get", "/mode", {}, None),
    ("put", "/mode", {"force": _BOOL}, MODE_BODY),
    ("get", "/mode/{subject}", {"defaultToGlobal": _BOOL}, None),
    ("put", "/mode/{subject}", {"force": _BOOL}, MODE_BODY),
    ("delete", "/mode/{subject}", {}, None),
]  # fmt: skip

_PATH_PARAMS = {"id": _INT, "subject": _STR, "version": _STR}
_ERROR = {
    "type": "object",
    "properties": {"error_code": _INT, "message": _STR},
    "required": ["error_code", "message"],
}


def _operation(method: str, path: str, query: dict, body: dict | None) -> dict[str, Any]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": kind}
        for name, kind in _PATH_PARAMS.items()
        if "{" + name + "}" in path
    ]
    params += [{"name": n, "in": "query", "required": False, "schema": s} for n, s in query.items()]
    op: dict[str, Any] = {
        "operationId": f"{method}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '') or 'root'}",
        "parameters": params,
        "responses": {
            "200": {"description": "OK", "content": {JSON_CT: {"schema": {}}}},
            "default": {
                "description": "error",
                "content": {"application/json": {"schema": _ERROR}},
            },
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def build_openapi() -> dict[str, Any]:
    paths: dict[str, dict] = {}
    for method, path, query, body in OPERATIONS:
        paths.setdefault(path, {})[method] = _operation(method, path, query, body)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Ailurus Schema Registry", "version": "1.0.0"},
        "paths": paths,
    }
