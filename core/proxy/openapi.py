"""OpenAPI 3 document of the proxy, built from the route declarations (GET /v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from core.proxy.spec import NAME, PARTITION, Route

OPENAPI_PATH = "/v1/openapi.json"
ERROR = {
    "type": "object",
    "properties": {"error_code": {"type": "integer"}, "message": {"type": "string"}},
    "required": ["error_code", "message"],
}
PATH_SCHEMAS = {"partition": PARTITION}
ERROR_STATUSES = {
    "400": "Bad request",
    "404": "Topic, partition or consumer instance not found",
    "406": "Not acceptable, or the embedded format does not match the instance's",
    "409": "Consumer exists, or an illegal subscription state",
    "415": "Unsupported media type",
    "422": "Invalid data or consumer configuration",
    "429": "Too many consumer instances",
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/vnd.kafka.v2+json": {"schema": ERROR}},
    }


def _operation(route: Route) -> dict[str, Any]:
    params = [
        {"name": n, "in": "path", "required": True, "schema": PATH_SCHEMAS.get(n, NAME)}
        for n in route.path_params
    ] + [
        {"name": n, "in": "query", "required": n == "offset", "schema": s}
        for n, s in route.query.items()
    ]
    ok: dict[str, Any] = {"description": "OK"}
    if route.ok_status != 204:
        ok["content"] = {t: {"schema": {}} for t in route.response_types}
    op: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "parameters": params,
        "responses": {
            str(route.ok_status): ok,
            **{code: _error(text) for code, text in ERROR_STATUSES.items()},
        },
    }
    if route.body is not None:
        op["requestBody"] = {
            "required": route.method != "POST" or "offsets" not in route.path,
            "content": {t: {"schema": route.body} for t in route.body_types},
        }
    return op


def build_openapi(routes: list[Route], version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Ailurus HTTP Proxy (Kafka REST v2)", "version": version},
        "paths": dict(sorted(paths.items())),
    }
