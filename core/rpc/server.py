"""RpcServer: the rpc_server listener (33145) with method registration.

A handler is `async (meta: bytes, blob) -> (meta, blob)`; it is registered under a method
id. Each request runs in its own task; a connection runs at most `max_in_flight` at once
(past that the server stops reading from it, so a flooding peer is slowed by TCP). The
response carries a Status: unknown method, handler timeout (`handler_timeout_ms`), handler
failure (the exception is logged here, never sent) or version mismatch. A connection must
start with a hello (core.rpc.hello); anything else, a response frame, or a malformed frame
closes that connection only, with one log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from core.rpc.frame import (
    DEFAULT_MAX_FRAME_BYTES,
    FLAG_RESPONSE,
    VERSION,
    Blob,
    Buffer,
    FrameError,
    Header,
    Method,
    Status,
    blob_length,
)
from core.rpc.hello import IdentityBook, NodeIdentity
from core.rpc.protocol import FrameProtocol

log = logging.getLogger("ailurus.rpc")

Handler = Callable[[bytes, Buffer], Awaitable[tuple[Buffer, Blob]]]

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
    ) -> None:
        self.book = book
        self.handler_timeout_ms = handler_timeout_ms
        self.max_in_flight = max_in_flight
        self.max_frame_bytes = max_frame_bytes
        self.max_connections = max_connections
        self.handlers: dict[int, Handler] = {}
        self.connections: set[ServerConnection] = set()
        self._server: asyncio.Server | None = None

    def register(self, method: int, handler: Handler) -> None:
        if method == Method.hello:
            raise ValueError("method 0 is the hello")
        if method in self.handlers:
            raise ValueError(f"method {method} already registered")
        self.handlers[method] = handler

    async def start(self, host: str, port: int) -> int:
        """Listen; returns the bound port (0 picks an ephemeral one)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: ServerConnection(self), host, port, reuse_address=True
        )
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.shutdown()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None


class ServerConnection(FrameProtocol):
    def __init__(self, server: RpcServer) -> None:
        super().__init__(server.max_frame_bytes)
        self.server = server
        self.peer: NodeIdentity | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if len(self.server.connections) >= self.server.max_connections:
            log.warning(
                "rpc: refusing %s: %d connections", self.peer_label, len(self.server.connections)
            )
            self.abort()
            return
        self.server.connections.add(self)

    def closed(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        for task in self._tasks:
            task.cancel()

    def shutdown(self) -> None:
        self.abort()
        for task in self._tasks:
            task.cancel()

    def frame_received(self, header: Header, meta: bytes, blob: Buffer) -> None:
        if header.is_response:
            self.malformed("a response sent to the server")
        elif header.version != VERSION:
            self._respond(header, Status.version_mismatch)
        elif self.peer is None:
            self._hello(header, meta)
        elif header.method == Method.hello:
            self.malformed("a second hello")
        elif (handler := self.server.handlers.get(header.method)) is None:
            self._respond(header, Status.unknown_method)
        else:
            task = asyncio.get_running_loop().create_task(self._run(handler, header, meta, blob))
            self._tasks.add(task)
            task.add_done_callback(self._task_done)
            if len(self._tasks) >= self.server.max_in_flight:
                self.hold()

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if len(self._tasks) < self.server.max_in_flight:
            self.release()

    def _hello(self, header: Header, meta: bytes) -> None:
        if header.method != Method.hello:
            self.malformed(f"method {header.method} before hello")
            return
        try:
            peer = NodeIdentity.decode(meta)
        except FrameError as e:
            self.malformed(str(e))
            return
        reason = self.server.book.check(peer)
        if reason is not None:
            log.warning("rpc: refusing hello from %s: %s", self.peer_label, reason)
            self._respond(header, Status.refused, reason.encode())
            self.close()
            return
        self.peer = peer
        self.peer_label = f"node {peer.node_id} ({self.peer_label})"
        self._respond(header, Status.ok, self.server.book.local.encode())

    async def _run(self, handler: Handler, header: Header, meta: bytes, blob: Buffer) -> None:
        try:
            async with asyncio.timeout(self.server.handler_timeout_ms / 1000):
                out_meta, out_blob = await handler(meta, blob)
        except TimeoutError:
            log.warning("rpc: method %d from %s timed out", header.method, self.peer_label)
            self._respond(header, Status.timeout)
            return
        except Exception as e:  # noqa: BLE001 - the status carries it, the log keeps the reason
            log.warning(
                "rpc: method %d from %s failed: %s: %s",
                header.method,
                self.peer_label,
                type(e).__name__,
                e,
            )
            self._respond(header, Status.handler_error)
            return
        size = memoryview(out_meta).nbytes + blob_length(out_blob)
        if size > self.server.max_frame_bytes:
            log.warning(
                "rpc: method %d answered %d bytes, over the frame bound", header.method, size
            )
            self._respond(header, Status.handler_error)
            return
        self._respond(header, Status.ok, out_meta, out_blob)
        try:
            await self.drain()
        except ConnectionError:
            pass

    def _respond(
        self, header: Header, status: Status, meta: Buffer = b"", blob: Blob = b""
    ) -> None:
        if self.is_open:
            self.write_frame(
                header.method, header.correlation, meta, blob, flags=FLAG_RESPONSE, status=status
            )
