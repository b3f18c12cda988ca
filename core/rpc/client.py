"""PeerClient: this node's one connection to one peer, multiplexed, and PeerClients, the
connection cache keyed by node id.

The connection is the one we dialed or the one the peer dialed to us (adopted by
RpcServer after its hello): a node pair shares one connection. If both nodes dial at once,
both keep the connection dialed by the lower node id and retire the other (it closes once
idle). Many requests are in flight on the connection at once, each under its correlation id;
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
import ssl
import uuid
from dataclasses import dataclass, field

from core.rpc import tls as rpc_tls
from core.rpc.connection import Connection, Endpoint
from core.rpc.errors import (
    FrameTooLarge,
    HandshakeRefused,
    RpcConnectionLost,
    RpcStatusError,
    RpcTimeout,
    RpcUnavailable,
)
from core.rpc.frame import (
    Blob,
    Buffer,
    Method,
    Status,
    blob_length,
)
from core.rpc.hello import NodeIdentity

log = logging.getLogger("ailurus.rpc")

Reply = tuple[bytes, Buffer]


@dataclass(frozen=True, slots=True)
class ClientConfig:
    max_in_flight: int = 64
    connect_timeout_ms: int = 1_000
    backoff_min_ms: int = 50
    backoff_max_ms: int = 5_000
    # dial peers over TLS (rpc_server_tls; default: this process's, core.rpc.tls), None: TCP
    tls: ssl.SSLContext | None = field(default_factory=rpc_tls.client_context)


class PeerClient:
    def __init__(
        self,
        endpoint: Endpoint,
        peer_node_id: int,
        host: str | None,
        port: int,
        config: ClientConfig | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.book = endpoint.book
        self.peer_node_id = peer_node_id
        self.host, self.port = host, port
        self.config = config or ClientConfig()
        self.rng = rng or random.Random()
        self.peer: NodeIdentity | None = None
        self.connect_attempts = 0
        self.connect_failures = 0  # consecutive
        self._conn: Connection | None = None
        self._connecting: asyncio.Task[Connection] | None = None
        self._next_attempt_at = 0.0  # loop time
        self._slots = asyncio.Semaphore(self.config.max_in_flight)
        self._closed = False
        self._in_flight = 0  # calls holding a slot

    @property
    def connected(self) -> bool:
        return self._usable(self._conn)

    @property
    def connection(self) -> Connection | None:
        return self._conn if self._usable(self._conn) else None

    @staticmethod
    def _usable(conn: Connection | None) -> bool:
        return conn is not None and conn.is_open and not conn.retiring

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def call(
        self, method: int, meta: Buffer = b"", blob: Blob = b"", *, timeout_ms: int
    ) -> Reply:
        """Send one request and return the response's (meta, blob); raises RpcError."""
        size = memoryview(meta).nbytes + blob_length(blob)
        if size > self.endpoint.max_frame_bytes:
            raise FrameTooLarge(f"{size} bytes over {self.endpoint.max_frame_bytes}")
        conn: Connection | None = None
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
    async def _connection(self) -> Connection:
        current = self._conn
        if current is not None and self._usable(current):
            return current
        if self._closed:
            raise RpcUnavailable("client closed")
        if self.host is None:
            raise RpcUnavailable(f"no connection from node {self.peer_node_id}, no address")
        if self._connecting is None:
            loop = asyncio.get_running_loop()
            wait_s = self._next_attempt_at - loop.time()
            if wait_s > 0:
                raise RpcUnavailable(
                    f"node {self.peer_node_id}: reconnect backoff, {wait_s * 1000:.0f} ms left"
                )
            self._connecting = loop.create_task(self._connect())
            self._connecting.add_done_callback(_retrieve)
        conn = await asyncio.shield(self._connecting)
        current = self._conn
        return current if current is not None and self._usable(current) else conn

    async def _connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        self.connect_attempts += 1
        host = self.host
        assert host is not None, "checked by _connection"
        conn: Connection | None = None
        try:
            async with asyncio.timeout(self.config.connect_timeout_ms / 1000):
                _, conn = await loop.create_connection(
                    lambda: Connection(self.endpoint, dialed=True),
                    host,
                    self.port,
                    ssl=self.config.tls,
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
        self.install(conn)
        return conn

    def install(self, conn: Connection) -> None:
        """Use `conn` (hello passed) for this peer; of two live ones keep the lower id's dial."""
        cur = self._conn
        if cur is conn:
            return
        if not self._usable(cur):
            self._conn = conn
            return
        assert cur is not None
        lower = min(self.book.local.node_id, self.peer_node_id)
        keep_new = conn.dialer_id == cur.dialer_id or conn.dialer_id == lower
        winner, loser = (conn, cur) if keep_new else (cur, conn)
        self._conn = winner
        loser.retire()

    def lost(self, conn: Connection) -> None:
        if self._conn is conn:
            self._conn = None

    async def _hello(self, conn: Connection) -> None:
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
        self.peer = conn.peer = peer
        conn.peer_label = f"node {peer.node_id} ({conn.peer_label})"

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


def _forget(conn: Connection, corr: int, fut: asyncio.Future) -> None:
    """Drop a call's future: no late response resolves it, no exception goes unretrieved."""
    if not fut.done():
        fut.cancel()
        conn.forget(corr)
    elif not fut.cancelled():
        fut.exception()


def _retrieve(task: asyncio.Task[Connection]) -> None:
    if not task.cancelled():
        task.exception()


class PeerClients:
    """The connection cache: one PeerClient per peer node id (bounded by the cluster size)."""

    def __init__(self, endpoint: Endpoint, config: ClientConfig | None = None) -> None:
        self.endpoint = endpoint
        self.book = endpoint.book
        self.config = config or ClientConfig()
        self._clients: dict[int, PeerClient] = {}

    def set_peer(
        self, node_id: int, host: str, port: int, node_uuid: uuid.UUID | None = None
    ) -> PeerClient:
        """Where node `node_id` listens (and, from the controller, what its UUID is)."""
        if node_uuid is not None:
            self.book.set(node_id, node_uuid)
        client = self._clients.get(node_id)
        if client is None:
            client = self._clients[node_id] = PeerClient(
                self.endpoint, node_id, host, port, self.config
            )
        elif (client.host, client.port) != (host, port):
            client.host, client.port = host, port
        return client

    def get(self, node_id: int) -> PeerClient:
        client = self._clients.get(node_id)
        if client is None:
            raise RpcUnavailable(f"no address for node {node_id}")
        return client

    def adopt(self, conn: Connection) -> None:
        """An accepted connection whose hello passed: our connection to that node too."""
        assert conn.peer is not None
        node_id = conn.peer.node_id
        client = self._clients.get(node_id)
        if client is None:
            if len(self._clients) >= self.book.MAX_NODES:
                conn.abort()
                return
            client = self._clients[node_id] = PeerClient(
                self.endpoint, node_id, None, 0, self.config
            )
        client.peer = conn.peer
        client.install(conn)

    def lost(self, conn: Connection) -> None:
        if conn.peer is not None and (client := self._clients.get(conn.peer.node_id)):
            client.lost(conn)

    async def remove(self, node_id: int) -> None:
        client = self._clients.pop(node_id, None)
        if client is not None:
            await client.close()

    async def close(self) -> None:
        for node_id in list(self._clients):
            await self.remove(node_id)
