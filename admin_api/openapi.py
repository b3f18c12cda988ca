"""OpenAPI 3 document built from the route declarations (served at /v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from admin_api.spec import PUBLIC, RouteSpec

OPENAPI_PATH = "/v1/openapi.json"
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"message": {"type": "string"}, "code": {"type": "integer"}},
    "required": ["message", "code"],
}


def _operation(spec: RouteSpec) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": spec.operation_id,
        "summary": spec.summary,
        "tags": [spec.tag],
        "x-auth-level": spec.auth,
        "parameters": [
            {"name": p.name, "in": p.location, "required": p.required, "schema": p.schema}
            for p in spec.params
        ],
        "responses": {
            "200": {"description": "OK", "content": {spec.produces: {"schema": spec.response}}},
            "400": _error("Bad request"),
            "404": _error("Not found"),
        },
    }
    if spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": spec.body}},
        }
    if spec.auth != PUBLIC:
        op["security"] = [{}, {"basic": []}]
        op["responses"]["401"] = _error("Authentication required (admin_api_require_auth)")
        op["responses"]["403"] = _error("Not a superuser")
    return op


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def build_openapi(specs: list[RouteSpec], version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Ailurus Admin API", "version": version},
        "paths": dict(sorted(paths.items())),
        "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"}}},
    }
