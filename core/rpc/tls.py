"""The TLS context this process dials broker RPC with (`rpc_server_tls`): one per node, so one
per broker process, set by the composition root before any dial (core.app.cluster) and used by
every dialer: peer clients (core.rpc.client), seed discovery (core.rpc.discovery) and joins.
None (the default): plain TCP."""

from __future__ import annotations

import ssl

_client: ssl.SSLContext | None = None


def use(context: ssl.SSLContext | None) -> None:
    global _client
    _client = context


def client_context() -> ssl.SSLContext | None:
    return _client
