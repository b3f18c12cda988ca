"""The Schema Registry listener: an aiohttp application on the broker's event loop."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from core.config.node import Address
from core.http import start_http_server
from core.http.server import MAX_BODY_BYTES
from core.schema_registry import client_api, errors
from core.schema_registry.http import REGISTRY_KEY
from core.schema_registry.routes_config import routes as config_routes
from core.schema_registry.routes_schemas import routes as schema_routes
from core.schema_registry.routes_subjects import routes as subject_routes
from core.schema_registry.service import Registry, mode_mutability
from core.security.client_auth import bootstrap, client_auth
from core.security.http_listener import listener_security, secure

log = logging.getLogger("ailurus.schema_registry")


@web.middleware
async def error_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Every failure leaves as `{"error_code", "message"}`; never a traceback."""
    try:
        return await handler(request)
    except errors.RegistryError as exc:
        return web.json_response(exc.body(), status=exc.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        body = {"error_code": exc.status, "message": exc.reason or "error"}
        return web.json_response(body, status=exc.status)
    except TimeoutError:
        timeout = errors.RegistryError(50002, "Timed out reading or writing the _schemas topic")
        return web.json_response(timeout.body(), status=timeout.status)
    except Exception as exc:
        log.exception("unhandled error in %s %s", request.method, request.path)
        body = errors.backend(type(exc).__name__).body()
        return web.json_response(body, status=500)


def build_app(reg: Registry) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY_BYTES)
    app[REGISTRY_KEY] = reg
    for table in (schema_routes, subject_routes, config_routes):
        app.router.add_routes(table)
    return app


class RegistryServer:
    def __init__(self, http, reg: Registry, broker_key: str = "") -> None:
        self._http = http
        self._registry = reg
        self.port = http.port
        self._broker_key = broker_key
        self._local = client_api.attach(broker_key, reg)  # for the proxy in this process

    async def stop(self) -> None:
        client_api.detach(self._broker_key, self._local)
        await self._http.stop()
        await self._registry.log.stop()


async def start(ctx: Any, address: Address) -> RegistryServer:
    """`ctx` is core.app.listeners.ListenerContext (a layer above this package)."""
    section = ctx.node.raw.get("schema_registry") or {}
    replication = (
        section.get("schema_registry_replication_factor") if isinstance(section, dict) else None
    )
    client = ctx.node.raw.get("schema_registry_client")
    reg = Registry(
        bootstrap(client, ctx.kafka_bootstrap),
        int(replication or 1),
        client_auth(client),
        mode_mutability(section),
        lambda: bool(ctx.services.cluster_config.get("schema_registry_always_normalize")),
    )
    app = build_app(reg)
    security = listener_security(ctx.node.raw, "schema_registry", "schema_registry_api")
    tls = secure(app, security, ctx.services, "application/vnd.schemaregistry.v1+json")
    http = await start_http_server(app, address.host, address.port, tls)
    return RegistryServer(http, reg, ctx.kafka_bootstrap)
