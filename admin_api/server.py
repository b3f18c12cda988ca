"""The Admin API server: one aiohttp application on the broker's event loop."""

from __future__ import annotations

import ssl

from aiohttp import web

from admin_api.audit_middleware import make_audit_middleware
from admin_api.auth import make_auth_middleware
from admin_api.deps import AdminServices
from admin_api.openapi import OPENAPI_PATH, build_openapi
from admin_api.routes import (
    balancer,
    brokers,
    cluster,
    cluster_config,
    debug,
    leadership,
    log_level,
    maintenance,
    metrics,
    moves,
    partition_disable,
    partitions,
    security,
    self_test,
    status,
    transactions,
)
from admin_api.spec import PUBLIC, SERVICES_KEY, RouteSpec, json_response
from core.http import HttpServer, new_app, start_http_server

API_VERSION = "1.0.0"
AREAS = (
    status,
    brokers,
    maintenance,
    cluster,
    cluster_config,
    partitions,
    moves,
    partition_disable,
    balancer,
    leadership,
    transactions,
    security,
    metrics,
    log_level,
    debug,
    self_test,
)


def all_routes() -> list[RouteSpec]:
    return [spec for area in AREAS for spec in area.routes.specs]


class AdminServer:
    """A running Admin API; `port` is the bound port even when started on port 0."""

    def __init__(self, http: HttpServer) -> None:
        self._http = http
        self.host = http.host
        self.port = http.port

    async def stop(self) -> None:
        await self._http.stop()


def build_app(svc: AdminServices) -> web.Application:
    specs = all_routes()
    document = build_openapi(specs, API_VERSION)

    async def get_openapi(request: web.Request) -> web.Response:
        return json_response(document)

    levels = {spec.handler: spec.auth for spec in specs}
    levels[get_openapi] = PUBLIC
    app = new_app()
    app.middlewares.append(make_audit_middleware())  # before auth: records refusals too
    app.middlewares.append(make_auth_middleware(levels))
    app[SERVICES_KEY] = svc
    app.router.add_get(OPENAPI_PATH, get_openapi, allow_head=False)
    for spec in specs:
        app.router.add_route(spec.method, spec.path, spec.handler)
    return app


async def start_admin_server(
    services: AdminServices, host: str, port: int, ssl_context: ssl.SSLContext | None = None
) -> AdminServer:
    return AdminServer(await start_http_server(build_app(services), host, port, ssl_context))
