"""RpcServer: this node's RPC endpoint on rpc_server (33145).

It holds the handlers (`register(method id, async (meta, blob) -> (meta, blob))`), the
listener, and `peers` (core.rpc.client.PeerClients), the one connection per peer node.
Handlers serve requests arriving on any connection, accepted or dialed: a connection
carries requests both ways (core.rpc.connection). An accepted connection whose hello
passes is adopted as the connection to that peer, so a node pair shares one connection
whoever dialed first (when both dial at once, the lower node id's dial is kept).
"""

from __future__ import annotations

import asyncio
import logging
import ssl

from core.rpc.client import ClientConfig, PeerClients
from core.rpc.connection import Connection, Handler
from core.rpc.frame import DEFAULT_MAX_FRAME_BYTES, Method
from core.rpc.hello import IdentityBook

log = logging.getLogger("ailurus.rpc")

DEFAULT_HANDLER_TIMEOUT_MS = 10_000
DEFAULT_SERVER_IN_FLIGHT = 256
MAX_CONNECTIONS = 1024


class RpcServer:
    def __init__(
        self,
        book: IdentityBook,
        *,
        handler_timeout_ms: int = DEFAULT_HANDLER_TIMEOUT_MS,
        max_in_flight: int = DEFAULT_SERVER_IN_FLIGHT,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        max_connections: int = MAX_CONNECTIONS,
        client_config: ClientConfig | None = None,
    ) -> None:
        self.book = book
        self.handler_timeout_ms = handler_timeout_ms
        self.max_in_flight = max_in_flight  # handlers running per connection
        self.max_frame_bytes = max_frame_bytes
        self.max_connections = max_connections
        self.handlers: dict[int, Handler] = {}
        self.connections: set[Connection] = set()  # accepted ones
        self.peers = PeerClients(self, client_config)
        self._server: asyncio.Server | None = None

    def register(self, method: int, handler: Handler) -> None:
        if method == Method.hello:
            raise ValueError("method 0 is the hello")
        if method in self.handlers:
            raise ValueError(f"method {method} already registered")
        self.handlers[method] = handler

    async def start(self, host: str, port: int, ssl_context: ssl.SSLContext | None = None) -> int:
        """Listen (TLS with `ssl_context`: rpc_server_tls); returns the bound port (0 picks an
        ephemeral one)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: Connection(self, dialed=False), host, port, reuse_address=True, ssl=ssl_context
        )
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and drop every connection, accepted or dialed."""
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.shutdown()
        await self.peers.close()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # ---- Endpoint (core.rpc.connection) -----------------------------------------------------------
    def admit(self, conn: Connection) -> bool:
        if len(self.connections) >= self.max_connections:
            log.warning("rpc: refusing %s: %d connections", conn.peer_label, len(self.connections))
            return False
        self.connections.add(conn)
        return True

    def accepted(self, conn: Connection) -> None:
        self.peers.adopt(conn)

    def lost(self, conn: Connection) -> None:
        self.connections.discard(conn)
        self.peers.lost(conn)
