"""PeerClient: this node's one connection to one peer, multiplexed.

Many requests are in flight on the connection at once, each under its correlation id;
responses are matched by it, in whatever order they come. At most `max_in_flight` are
outstanding: a caller waits for a slot (inside its own timeout). Every call has a
timeout covering the slot, the connect and the response; a response arriving after its
caller gave up is dropped.

Connections are made lazily by the first call and checked by the hello (core.rpc.hello):
the peer must be the node id we dial and keep the UUID we know. A failed connect makes
the next attempt wait an exponentially growing delay with jitter (`backoff_min_ms` doubling
up to `backoff_max_ms`, each drawn in [delay/2, delay]); calls made meanwhile fail at once
with RpcUnavailable, so a Raft tick never piles up behind a dead peer. When a connection
closes, its in-flight calls fail with RpcConnectionLost (retriable) and the next call
reconnects at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from dataclasses import dataclass

from core.rpc.errors import (
    FrameTooLarge,
    HandshakeRefused,
    RpcConnectionLost,
    RpcStatusError,
    RpcTimeout,
    RpcUnavailable,
)
from core.rpc.frame import (
    DEFAULT_MAX_FRAME_BYTES,
    MAX_CORRELATION,
    Blob,
    Buffer,
    Header,
    Method,
    Status,
    blob_length,
)
from core.rpc.hello import IdentityBook, NodeIdentity
from core.rpc.protocol import FrameProtocol

log = logging.getLogger("ailurus.rpc")

Reply = tuple[bytes, Buffer]


@dataclass(frozen=True, slots=True)
class ClientConfig:
    max_in_flight: int = 64
    connect_timeout_ms: int = 1_000
    backoff_min_ms: int = 50
    backoff_max_ms: int = 5_000
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES


class ClientConnection(FrameProtocol):
    def __init__(self, max_frame_bytes: int) -> None:
        super().__init__(max_frame_bytes)
        self.pending: dict[int, asyncio.Future[tuple[Header, bytes, Buffer]]] = {}
        self.late_responses = 0
        self._next_corr = 0

    def request(
        self, method: int, meta: Buffer, blob: Blob
    ) -> tuple[int, asyncio.Future[tuple[Header, bytes, Buffer]]]:
        if not self.is_open:
            raise RpcConnectionLost("connection closed")
        self._next_corr = self._next_corr + 1 if self._next_corr < MAX_CORRELATION else 1
        corr = self._next_corr
        fut = asyncio.get_running_loop().create_future()
        self.pending[corr] = fut
        self.write_frame(method, corr, meta, blob)
        return corr, fut

    def frame_received(self, header: Header, meta: bytes, blob: Buffer) -> None:
        if not header.is_response:
            self.malformed("a request sent to the client side")
            return
        fut = self.pending.pop(header.correlation, None)
        if fut is None or fut.done():
            self.late_responses += 1
            return
        fut.set_result((header, meta, blob))

    def closed(self, exc: Exception | None) -> None:
        pending, self.pending = self.pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(RpcConnectionLost(f"connection to {self.peer_label} lost"))


class PeerClient:
    def __init__(
        self,
        book: IdentityBook,
        peer_node_id: int,
        host: str,
        port: int,
        config: ClientConfig | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.book = book
        self.peer_node_id = peer_node_id
        self.host, self.port = host, port
        self.config = config or ClientConfig()
        self.rng = rng or random.Random()
        self.peer: NodeIdentity | None = None
        self.connect_attempts = 0
        self.connect_failures = 0  # consecutive
        self._conn: ClientConnection | None = None
        self._connecting: asyncio.Task[ClientConnection] | None = None
        self._next_attempt_at = 0.0  # loop time
        self._slots = asyncio.Semaphore(self.config.max_in_flight)
        self._closed = False
        self._in_flight = 0  # calls holding a slot

    @property
    def connected(self) -> bool:
        return self._conn is not None and self._conn.is_open

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def call(
        self, method: int, meta: Buffer = b"", blob: Blob = b"", *, timeout_ms: int
    ) -> Reply:
        """Send one request and return the response's (meta, blob); raises RpcError."""
        size = memoryview(meta).nbytes + blob_length(blob)
        if size > self.config.max_frame_bytes:
            raise FrameTooLarge(f"{size} bytes over {self.config.max_frame_bytes}")
        conn: ClientConnection | None = None
        corr, fut = 0, None
        try:
            async with asyncio.timeout(timeout_ms / 1000):
                async with self._slots:
                    self._in_flight += 1
                    try:
                        conn = await self._connection()
                        corr, fut = conn.request(method, meta, blob)
                        await conn.drain()
                        header, rmeta, rblob = await fut
                    finally:
                        self._in_flight -= 1
        except TimeoutError:
            raise RpcTimeout(
                f"method {method} to node {self.peer_node_id}: {timeout_ms} ms"
            ) from None
        except ConnectionError as e:
            raise RpcConnectionLost(f"node {self.peer_node_id}: {e}") from None
        finally:
            if fut is not None and conn is not None:
                _forget(conn, corr, fut)
        if header.status != Status.ok:
            raise RpcStatusError(_status(header.status), method, rmeta.decode(errors="replace"))
        return rmeta, rblob

    async def close(self) -> None:
        self._closed = True
        if self._connecting is not None:
            self._connecting.cancel()
        if self._conn is not None:
            self._conn.abort()
            self._conn = None

    def drop_connection(self) -> None:
        """Abort the current connection (tests; or a peer known to have restarted)."""
        if self._conn is not None:
            self._conn.abort()

    # ---- connecting -------------------------------------------------------------------------------
    async def _connection(self) -> ClientConnection:
        if self._conn is not None and self._conn.is_open:
            return self._conn
        if self._closed:
            raise RpcUnavailable("client closed")
        if self._connecting is None:
            loop = asyncio.get_running_loop()
            wait_s = self._next_attempt_at - loop.time()
            if wait_s > 0:
                raise RpcUnavailable(
                    f"node {self.peer_node_id}: reconnect backoff, {wait_s * 1000:.0f} ms left"
                )
            self._connecting = loop.create_task(self._connect())
            self._connecting.add_done_callback(_retrieve)
        return await asyncio.shield(self._connecting)

    async def _connect(self) -> ClientConnection:
        loop = asyncio.get_running_loop()
        self.connect_attempts += 1
        conn: ClientConnection | None = None
        try:
            async with asyncio.timeout(self.config.connect_timeout_ms / 1000):
                _, conn = await loop.create_connection(
                    lambda: ClientConnection(self.config.max_frame_bytes), self.host, self.port
                )
                await self._hello(conn)
        except (OSError, TimeoutError, HandshakeRefused, RpcConnectionLost) as e:
            if conn is not None:
                conn.abort()
            self._failed(loop.time())
            if isinstance(e, HandshakeRefused):
                raise
            raise RpcUnavailable(f"connect to node {self.peer_node_id} failed: {e!r}") from None
        finally:
            self._connecting = None
        self.connect_failures = 0
        self._conn = conn
        return conn

    async def _hello(self, conn: ClientConnection) -> None:
        _, fut = conn.request(Method.hello, self.book.local.encode(), b"")
        header, meta, _ = await fut
        if header.status != Status.ok:
            raise HandshakeRefused(
                f"node {self.peer_node_id} refused us: {_status(header.status).name} "
                f"{meta.decode(errors='replace')}"
            )
        try:
            peer = NodeIdentity.decode(meta)
        except Exception as e:
            raise HandshakeRefused(f"bad hello from node {self.peer_node_id}: {e}") from None
        if peer.node_id != self.peer_node_id:
            raise HandshakeRefused(f"dialed node {self.peer_node_id}, {peer.node_id} answered")
        reason = self.book.check(peer)
        if reason is not None:
            raise HandshakeRefused(reason)
        self.peer = peer

    def _failed(self, now: float) -> None:
        self.connect_failures += 1
        delay_ms = backoff_ms(self.connect_failures, self.config, self.rng)
        self._next_attempt_at = now + delay_ms / 1000


def backoff_ms(failures: int, config: ClientConfig, rng: random.Random) -> float:
    """The wait after `failures` consecutive failed connects: exponential, jittered."""
    ceiling = min(config.backoff_max_ms, config.backoff_min_ms * 2 ** min(failures - 1, 30))
    return ceiling / 2 + rng.random() * ceiling / 2


def _status(code: int) -> Status:
    try:
        return Status(code)
    except ValueError:
        return Status.handler_error


def _forget(conn: ClientConnection, corr: int, fut: asyncio.Future) -> None:
    """Drop a call's future: no late response resolves it, no exception goes unretrieved."""
    if not fut.done():
        conn.pending.pop(corr, None)
        fut.cancel()
    elif not fut.cancelled():
        fut.exception()


def _retrieve(task: asyncio.Task[ClientConnection]) -> None:
    if not task.cancelled():
        task.exception()


class PeerClients:
    """The connection cache: one PeerClient per peer node id."""

    def __init__(self, book: IdentityBook, config: ClientConfig | None = None) -> None:
        self.book = book
        self.config = config or ClientConfig()
        self._clients: dict[int, PeerClient] = {}

    def set_peer(
        self, node_id: int, host: str, port: int, node_uuid: uuid.UUID | None = None
    ) -> PeerClient:
        old = self._clients.get(node_id)
        if node_uuid is not None:
            self.book.set(node_id, node_uuid)
        if old is not None and (old.host, old.port) == (host, port):
            return old
        if old is not None:
            old.drop_connection()
        client = self._clients[node_id] = PeerClient(self.book, node_id, host, port, self.config)
        return client

    def get(self, node_id: int) -> PeerClient:
        client = self._clients.get(node_id)
        if client is None:
            raise RpcUnavailable(f"no address for node {node_id}")
        return client

    async def remove(self, node_id: int) -> None:
        client = self._clients.pop(node_id, None)
        if client is not None:
            await client.close()

    async def close(self) -> None:
        for node_id in list(self._clients):
            await self.remove(node_id)
