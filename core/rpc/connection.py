"""Connection: one TCP connection between two nodes, carrying requests both ways.

Either side sends requests (matched to their responses by correlation id, in any order)
and serves the other's requests with the node's registered handlers. The acceptor
requires a hello first (core.rpc.hello); the dialer's hello is its first request. A
handler runs in its own task; at most `max_in_flight` run per connection (past that
the connection stops reading, so a flooding peer is slowed by TCP). Errors travel as
statuses, never tracebacks. A connection that lost a tie-break (two nodes dialed each
other at once) is retired: it takes no new requests and closes once idle.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from core.rpc.errors import RpcConnectionLost
from core.rpc.frame import (
    FLAG_RESPONSE,
    MAX_CORRELATION,
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
Pending = asyncio.Future[tuple[Header, bytes, Buffer]]
RETIRE_GRACE_S = 30.0  # a retired connection is aborted after this even if still busy


class Endpoint(Protocol):
    """What a connection needs from its node (core.rpc.server.RpcServer)."""

    book: IdentityBook
    handlers: dict[int, Handler]
    handler_timeout_ms: int
    max_in_flight: int
    max_frame_bytes: int

    def admit(self, conn: Connection) -> bool: ...

    def accepted(self, conn: Connection) -> None: ...

    def lost(self, conn: Connection) -> None: ...


class Connection(FrameProtocol):
    def __init__(self, endpoint: Endpoint, *, dialed: bool) -> None:
        super().__init__(endpoint.max_frame_bytes)
        self.endpoint = endpoint
        self.dialed = dialed  # we dialed it (our hello is its first request)
        self.peer: NodeIdentity | None = None
        self.pending: dict[int, Pending] = {}
        self.late_responses = 0
        self.retiring = False
        self._next_corr = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if not self.dialed and not self.endpoint.admit(self):
            self.abort()

    @property
    def dialer_id(self) -> int:
        """The node id that dialed this connection (the tie-break key)."""
        assert self.peer is not None
        return self.endpoint.book.local.node_id if self.dialed else self.peer.node_id

    # ---- outgoing requests ------------------------------------------------------------------------
    def request(self, method: int, meta: Buffer, blob: Blob) -> tuple[int, Pending]:
        if not self.is_open:
            raise RpcConnectionLost(f"connection to {self.peer_label} closed")
        self._next_corr = self._next_corr + 1 if self._next_corr < MAX_CORRELATION else 1
        corr = self._next_corr
        fut: Pending = asyncio.get_running_loop().create_future()
        self.pending[corr] = fut
        self.write_frame(method, corr, meta, blob)
        return corr, fut

    def forget(self, corr: int) -> None:
        self.pending.pop(corr, None)
        self._close_if_retired_and_idle()

    # ---- frames -----------------------------------------------------------------------------------
    def frame_received(self, header: Header, meta: bytes, blob: Buffer) -> None:
        if header.is_response:
            fut = self.pending.pop(header.correlation, None)
            if fut is None or fut.done():
                self.late_responses += 1
            else:
                fut.set_result((header, meta, blob))
            self._close_if_retired_and_idle()
        elif header.version != VERSION:
            self._respond(header, Status.version_mismatch)
        elif not self.dialed and self.peer is None:
            self._hello(header, meta)
        elif header.method == Method.hello:
            self.malformed("a hello after the hello")
        elif (handler := self.endpoint.handlers.get(header.method)) is None:
            self._respond(header, Status.unknown_method)
        else:
            task = asyncio.get_running_loop().create_task(self._run(handler, header, meta, blob))
            self._tasks.add(task)
            task.add_done_callback(self._task_done)
            if len(self._tasks) >= self.endpoint.max_in_flight:
                self.hold()

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if len(self._tasks) < self.endpoint.max_in_flight:
            self.release()
        self._close_if_retired_and_idle()

    def _hello(self, header: Header, meta: bytes) -> None:
        if header.method != Method.hello:
            self.malformed(f"method {header.method} before hello")
            return
        try:
            peer = NodeIdentity.decode(meta)
        except FrameError as e:
            self.malformed(str(e))
            return
        reason = self.endpoint.book.check(peer)
        if reason is not None:
            log.warning("rpc: refusing hello from %s: %s", self.peer_label, reason)
            self._respond(header, Status.refused, reason.encode())
            self.close()
            return
        self.peer = peer
        self.peer_label = f"node {peer.node_id} ({self.peer_label})"
        self._respond(header, Status.ok, self.endpoint.book.local.encode())
        self.endpoint.accepted(self)

    async def _run(self, handler: Handler, header: Header, meta: bytes, blob: Buffer) -> None:
        try:
            async with asyncio.timeout(self.endpoint.handler_timeout_ms / 1000):
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
        if size > self.max_frame_bytes:
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

    # ---- lifecycle --------------------------------------------------------------------------------
    def retire(self) -> None:
        """Take no new requests; close once nothing is in flight either way."""
        if self.retiring:
            return
        self.retiring = True
        asyncio.get_running_loop().call_later(RETIRE_GRACE_S, self.abort)
        self._close_if_retired_and_idle()

    def _close_if_retired_and_idle(self) -> None:
        if self.retiring and not self.pending and not self._tasks and self.is_open:
            self.close()

    def shutdown(self) -> None:
        self.abort()
        for task in self._tasks:
            task.cancel()

    def closed(self, exc: Exception | None) -> None:
        pending, self.pending = self.pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(RpcConnectionLost(f"connection to {self.peer_label} lost"))
        for task in self._tasks:
            task.cancel()
        self.endpoint.lost(self)
