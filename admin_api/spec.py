"""Route declarations: each handler is declared once with its method, path, auth level and schemas.

The same declarations build the aiohttp router (admin_api/server.py) and the OpenAPI document
(admin_api/openapi.py), so the two cannot drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from admin_api.deps import AdminServices

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC, USER, SUPERUSER = "public", "user", "superuser"
SERVICES_KEY = web.AppKey("admin_services", object)

INT = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
OBJ = {"type": "object"}
STR_LIST = {"type": "array", "items": STR}
ANY: dict[str, Any] = {}


@dataclass(frozen=True)
class Param:
    name: str
    location: str
    schema: dict[str, Any]
    required: bool


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: Handler
    operation_id: str
    summary: str
    auth: str
    tag: str
    params: tuple[Param, ...]
    body: dict[str, Any] | None
    response: dict[str, Any]
    produces: str


@dataclass
class RouteList:
    """The routes of one area (one admin_api/routes/<area>.py module)."""

    tag: str
    specs: list[RouteSpec] = field(default_factory=list)

    def add(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        auth: str = USER,
        path_types: dict[str, dict[str, Any]] | None = None,
        query: dict[str, dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None,
        response: dict[str, Any] = ANY,
        produces: str = "application/json",
    ) -> Callable[[Handler], Handler]:
        path_names = re.findall(r"{(\w+)}", path)
        params = tuple(
            Param(n, "path", (path_types or {}).get(n, STR), True) for n in path_names
        ) + tuple(Param(n, "query", s, False) for n, s in (query or {}).items())

        def decorate(handler: Handler) -> Handler:
            self.specs.append(
                RouteSpec(
                    method,
                    path,
                    handler,
                    handler.__name__,
                    summary,
                    auth,
                    self.tag,
                    params,
                    body,
                    response,
                    produces,
                )
            )
            return handler

        return decorate

    def get(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add("GET", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add("PUT", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add("POST", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add("DELETE", path, **kw)


def services(request: web.Request) -> AdminServices:
    return request.app[SERVICES_KEY]  # type: ignore[return-value]


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


def obj_schema(
    props: dict[str, dict[str, Any]], required: tuple[str, ...] = (), closed: bool = False
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props, "required": list(required)}
    if closed:
        schema["additionalProperties"] = False
    return schema
