"""The HTTP proxy listener: `start(ctx, address)` as core/app/listeners.py expects."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from core.config.node import Address
from core.http import HttpServer, start_http_server
from core.http.basic_auth import PRINCIPAL_KEY, credentials
from core.proxy import routes_consumers, routes_topics
from core.proxy.consumers import FETCH_MAX_BYTES, ConsumerManager
from core.proxy.errors import error_middleware, json_response
from core.proxy.kafka import ClientSettings, KafkaSide
from core.proxy.local_produce import LocalAppender, client_host
from core.proxy.local_read import InstanceReader
from core.proxy.openapi import OPENAPI_PATH, build_openapi
from core.proxy.registry import RegistryClient
from core.proxy.spec import KAFKA_KEY, STATE_KEY, Handler, Route
from core.proxy.state import Limits, ProxyState
from core.proxy.user_clients import DEFAULT_KEEP_ALIVE_MS, DEFAULT_MAX_USERS, UserClients
from core.security.client_auth import bootstrap, client_auth
from core.security.http_listener import listener_security, secure

log = logging.getLogger(__name__)
API_VERSION = "2.0.0"


def all_routes() -> list[Route]:
    return routes_topics.routes.routes + routes_consumers.routes.routes


class ProxyServer:
    def __init__(self, http: HttpServer, proxy: ProxyState) -> None:
        self._http = http
        self._proxy = proxy
        self.host = http.host
        self.port = http.port

    async def stop(self) -> None:
        await self._http.stop()
        await self._proxy.consumers.stop()
        await self._proxy.users.stop()
        await self._proxy.kafka.stop()
        await self._proxy.registry.stop()


def _int(section: dict[str, Any], key: str, default: int) -> int:
    value = section.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def user_clients_from(raw: dict[str, Any], settings: ClientSettings) -> UserClients:
    """Redpanda's pandaproxy client cache settings: client_cache_max_size, client_keep_alive."""
    proxy = raw.get("pandaproxy") or {}
    return UserClients(
        settings,
        max_users=_int(proxy, "client_cache_max_size", DEFAULT_MAX_USERS),
        keep_alive_ms=_int(proxy, "client_keep_alive", DEFAULT_KEEP_ALIVE_MS),
    )


def as_user_middleware(users: UserClients):
    """With http_basic: the request's Kafka work done by the authenticated user's own
    clients (core.proxy.user_clients), when the proxy's clients use SASL."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        creds = credentials(request) if request.get(PRINCIPAL_KEY) else None
        if creds is None:  # a public route
            return await handler(request)
        side = await users.acquire(*creds)
        request[KAFKA_KEY] = side
        try:
            return await handler(request)
        finally:
            users.release(side)

    return middleware


def settings_from(raw: dict[str, Any], kafka_bootstrap: str) -> tuple[ClientSettings, Limits]:
    proxy = raw.get("pandaproxy") or {}
    client = raw.get("pandaproxy_client") or {}
    settings = ClientSettings(
        bootstrap=bootstrap(client, kafka_bootstrap),
        linger_ms=_int(client, "produce_batch_delay_ms", 2),
        session_timeout_ms=_int(client, "consumer_session_timeout_ms", 10_000),
        heartbeat_interval_ms=_int(client, "consumer_heartbeat_interval_ms", 3_000),
        producers=max(1, min(16, _int(client, "producer_pool_size", 4))),
        auth=client_auth(client),
    )
    default = Limits()
    limits = Limits(
        max_body_bytes=_int(proxy, "max_request_body_bytes", default.max_body_bytes),
        max_consumer_instances=_int(
            proxy, "consumer_instances_max", default.max_consumer_instances
        ),
        consumer_instance_timeout_ms=_int(
            proxy, "consumer_instance_timeout_ms", default.consumer_instance_timeout_ms
        ),
    )
    return settings, limits


def registry_url(raw: dict[str, Any]) -> str | None:
    """The Schema Registry to use over HTTP when none runs in this broker."""
    for section, key in (
        ("pandaproxy_client", "schema_registry_url"),
        ("schema_registry_client", "url"),
    ):
        value = (raw.get(section) or {}).get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str) and value:
            return value
    return None


def build_app(proxy: ProxyState) -> web.Application:
    routes = all_routes()
    document = build_openapi(routes, API_VERSION)

    async def get_openapi(request: web.Request) -> web.Response:
        return json_response(document, content_type="application/json")

    async def ready(request: web.Request) -> web.Response:
        return json_response({"status": "ready"}, content_type="application/json")

    app = web.Application(
        middlewares=[error_middleware], client_max_size=proxy.limits.max_body_bytes
    )
    app[STATE_KEY] = proxy
    app.router.add_get(OPENAPI_PATH, get_openapi, allow_head=False)
    app.router.add_get("/status/ready", ready, allow_head=False)
    for route in routes:
        app.router.add_route(route.method, route.path, route.handler)
    return app


async def start(ctx: Any, address: Address) -> ProxyServer:
    settings, limits = settings_from(ctx.node.raw, ctx.kafka_bootstrap)
    kafka = KafkaSide(settings)
    await kafka.start()
    consumers = ConsumerManager(
        settings, limits.max_consumer_instances, limits.consumer_instance_timeout_ms
    )
    registry = RegistryClient(ctx.kafka_bootstrap, registry_url(ctx.node.raw))
    local = LocalAppender(
        ctx.services,
        settings.request_timeout_ms,
        settings.auth.principal,
        client_host(settings.bootstrap),
    )
    reads = InstanceReader(local, FETCH_MAX_BYTES)
    users = user_clients_from(ctx.node.raw, settings)
    proxy = ProxyState(kafka, consumers, limits, registry, local, reads, users)
    try:
        app = build_app(proxy)
        security = listener_security(ctx.node.raw, "pandaproxy", "pandaproxy_api")
        tls = secure(app, security, ctx.services, "application/vnd.kafka.v2+json", as_user=True)
        if security.authentication_method == "http_basic":
            if users.enabled:
                app.middlewares.append(as_user_middleware(users))  # inside authentication
            else:
                log.warning(
                    "pandaproxy: http_basic without SASL credentials in pandaproxy_client: "
                    "requests to partitions led elsewhere and metadata go to Kafka as the "
                    "proxy's own client, not as each user"
                )
        http = await start_http_server(app, address.host, address.port, tls)
    except BaseException:
        await kafka.stop()
        raise
    consumers.start()
    users.start()
    log.info("pandaproxy listening on %s:%d", address.host, http.port)
    return ProxyServer(http, proxy)
