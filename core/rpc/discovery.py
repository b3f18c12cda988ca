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


class _HelloEndpoint:
    """The Endpoint (core.rpc.connection) of a connection that only says hello."""

    def __init__(self, local: NodeIdentity) -> None:
        self.book = IdentityBook(local)
        self.handlers: dict[int, Handler] = {}
        self.handler_timeout_ms = DEFAULT_HELLO_TIMEOUT_MS
        self.max_in_flight = 1
        self.max_frame_bytes = DEFAULT_MAX_FRAME_BYTES

    def admit(self, conn: Connection) -> bool:
        return True

    def accepted(self, conn: Connection) -> None:
        pass

    def lost(self, conn: Connection) -> None:
        pass


async def hello(
    host: str, port: int, local: NodeIdentity, *, timeout_ms: int = DEFAULT_HELLO_TIMEOUT_MS
) -> NodeIdentity:
    """The identity of the node listening at host:port. Raises RpcUnavailable (no answer
    in time) or HandshakeRefused (it refused us, e.g. another cluster)."""
    loop = asyncio.get_running_loop()
    endpoint = _HelloEndpoint(local)
    conn: Connection | None = None
    try:
        async with asyncio.timeout(timeout_ms / 1000):
            _, conn = await loop.create_connection(
                lambda: Connection(endpoint, dialed=True), host, port, ssl=rpc_tls.client_context()
            )
            _, fut = conn.request(Method.hello, local.encode(), b"")
            header, meta, _ = await fut
    except (OSError, TimeoutError) as e:
        raise RpcUnavailable(f"hello to {host}:{port}: {e!r}") from None
    finally:
        if conn is not None:
            conn.abort()
    if header.status != Status.ok:
        raise HandshakeRefused(f"{host}:{port} refused us: {meta.decode(errors='replace')}")
    try:
        return NodeIdentity.decode(meta)
    except Exception as e:  # noqa: BLE001 - any malformed hello is a refusal
        raise HandshakeRefused(f"bad hello from {host}:{port}: {e}") from None
