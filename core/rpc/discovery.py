"""A hello-only connection: who listens at an RPC address whose node id we do not know yet.

Founders use it at first start (core.cluster.bootstrap) to learn each seed's (node id,
node UUID) before the controller group exists. It dials, exchanges the hello
(core.rpc.hello) and closes; it serves no requests (an unexpected request is answered
`unknown_method`).
"""

from __future__ import annotations

import asyncio

from core.rpc import tls as rpc_tls
from core.rpc.connection import Connection, Handler
from core.rpc.errors import HandshakeRefused, RpcUnavailable
from core.rpc.frame import DEFAULT_MAX_FRAME_BYTES, Method, Status
from core.rpc.hello import IdentityBook, NodeIdentity

DEFAULT_HELLO_TIMEOUT_MS = 1_000


class _OneShotEndpoint:
    """The Endpoint (core.rpc.connection) of a connection that serves nothing: it says hello
    and sends at most one request."""

    def __init__(self, local: NodeIdentity, timeout_ms: int) -> None:
        self.book = IdentityBook(local)
        self.handlers: dict[int, Handler] = {}
        self.handler_timeout_ms = timeout_ms
        self.max_in_flight = 1
        self.max_frame_bytes = DEFAULT_MAX_FRAME_BYTES

    def admit(self, conn: Connection) -> bool:
        return True

    def accepted(self, conn: Connection) -> None:
        pass

    def lost(self, conn: Connection) -> None:
        pass


async def one_shot(
    host: str,
    port: int,
    local: NodeIdentity,
    request: tuple[Method, bytes] | None = None,
    *,
    timeout_ms: int = DEFAULT_HELLO_TIMEOUT_MS,
) -> tuple[bytes, bytes | None]:
    """Dial host:port (RPC TLS when configured), exchange the hello, send `request`
    (method, meta) if given, close. Returns (the hello's meta, the request's answer meta).
    Raises RpcUnavailable (no answer in time, or the request not answered ok) or
    HandshakeRefused (the hello refused: e.g. another cluster)."""
    loop = asyncio.get_running_loop()
    endpoint = _OneShotEndpoint(local, timeout_ms)
    conn: Connection | None = None
    what = f"{request[0].name if request else 'hello'} to {host}:{port}"
    try:
        async with asyncio.timeout(timeout_ms / 1000):
            _, conn = await loop.create_connection(
                lambda: Connection(endpoint, dialed=True), host, port, ssl=rpc_tls.client_context()
            )
            _, fut = conn.request(Method.hello, local.encode(), b"")
            header, hello_meta, _ = await fut
            if header.status != Status.ok:
                text = bytes(hello_meta).decode(errors="replace")
                raise HandshakeRefused(f"{host}:{port} refused us: {text}")
            if request is None:
                return bytes(hello_meta), None
            _, fut = conn.request(request[0], request[1], b"")
            header, meta, _ = await fut
    except (OSError, TimeoutError) as e:
        raise RpcUnavailable(f"{what}: {e!r}") from None
    finally:
        if conn is not None:
            conn.abort()
    if header.status != Status.ok:
        raise RpcUnavailable(f"{what}: status {header.status}")
    return bytes(hello_meta), bytes(meta)


async def hello(
    host: str, port: int, local: NodeIdentity, *, timeout_ms: int = DEFAULT_HELLO_TIMEOUT_MS
) -> NodeIdentity:
    """The identity of the node listening at host:port. Raises RpcUnavailable (no answer
    in time) or HandshakeRefused (it refused us, e.g. another cluster)."""
    meta, _ = await one_shot(host, port, local, timeout_ms=timeout_ms)
    try:
        return NodeIdentity.decode(meta)
    except Exception as e:  # noqa: BLE001 - any malformed hello is a refusal
        raise HandshakeRefused(f"bad hello from {host}:{port}: {e}") from None
