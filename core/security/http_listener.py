"""Authentication and TLS of the HTTP proxy and the Schema Registry listeners, from their
redpanda.yaml sections as Redpanda names them:

    pandaproxy:
      pandaproxy_api: [{address: 0.0.0.0, port: 8082, name: proxy, authentication_method: http_basic}]
      pandaproxy_api_tls: [{name: proxy, enabled: true, cert_file: c.pem, key_file: k.pem,
                            truststore_file: ca.pem, require_client_auth: false}]
    schema_registry:
      schema_registry_api: [{..., authentication_method: http_basic}]
      schema_registry_api_tls: [...]

`authentication_method: http_basic` checks every request but `/status/ready` against the
broker's SCRAM users (core.http.basic_auth: 401 with the server's own error body). On the proxy
the authenticated user's principal is then authorized by the broker's authorizer, as the Kafka
requests it causes would be for that user (core.security.proxy_acls; 403 on refusal).
`secure(app, ...)` installs that and returns the TLS context to serve (None: plain HTTP).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from core.config.node import NodeConfigError, TlsConfig, tls_config
from core.http.basic_auth import BasicAuth, ErrorBody, basic_auth_middleware
from core.security import tls
from core.security.proxy_acls import proxy_acl_middleware
from core.security.sasl import FailureLimiter

HTTP_METHODS = ("none", "http_basic")
PUBLIC_PATHS = frozenset({"/status/ready"})
REALM = "ailurus"


@dataclass(frozen=True, slots=True)
class HttpListenerSecurity:
    authentication_method: str = "none"
    tls: TlsConfig | None = None


def listener_security(raw: dict[str, Any], section: str, api_key: str) -> HttpListenerSecurity:
    """The first `api_key` entry's authentication_method and the first enabled `<api_key>_tls`
    entry of redpanda.yaml's `section`; NodeConfigError for an unknown method."""
    block = raw.get(section) or {}
    if not isinstance(block, dict):
        return HttpListenerSecurity()
    entries = block.get(api_key)
    first = entries[0] if isinstance(entries, list) and entries else entries
    method = first.get("authentication_method") if isinstance(first, dict) else None
    method = method or "none"
    if method not in HTTP_METHODS:
        raise NodeConfigError(
            f"{section}.{api_key}: authentication_method must be one of "
            f"{', '.join(HTTP_METHODS)}, got {method!r}"
        )
    tls_entries = block.get(f"{api_key}_tls")
    return HttpListenerSecurity(
        method, tls_config(tls_entries, f"{api_key}_tls") if tls_entries else None
    )


def confluent_error_body(content_type: str) -> ErrorBody:
    """Refusals as Confluent's REST and registry errors: `{"error_code": 40101 | 40301,
    "message"}` with status 401 | 403."""

    def body(status: int, message: str, headers: dict[str, str]) -> web.StreamResponse:
        payload = json.dumps({"error_code": status * 100 + 1, "message": message})
        return web.Response(
            status=status, text=payload, content_type=content_type, headers=headers or None
        )

    return body


def secure(
    app: web.Application,
    security: HttpListenerSecurity,
    services: Any,
    content_type: str,
    *,
    as_user: bool = False,
) -> ssl.SSLContext | None:
    """Install basic auth on `app` when configured (and with `as_user`, the authenticated
    user's ACLs: the proxy); the TLS context to serve it with (None: plain HTTP)."""
    error_body = confluent_error_body(content_type)
    if security.authentication_method == "http_basic":
        users = getattr(services.sasl, "users", None)

        async def verify(user: str, password: str) -> bool:
            if users is None:
                return False
            return await asyncio.to_thread(users.verify_password, user, password)

        auth = BasicAuth(verify, FailureLimiter(), REALM)
        app.middlewares.append(
            basic_auth_middleware(auth, error_body, lambda r: r.path not in PUBLIC_PATHS)
        )
        if as_user:
            app.middlewares.append(proxy_acl_middleware(services.authorizer, error_body))
    return tls.server_context(security.tls) if security.tls else None
