"""TCP proxies for cutting the directed links of a test cluster (one event loop thread for all).

    links = LinkProxies().start()
    port = links.add("127.0.0.1", target_port)   # listen on 127.0.0.1:port, forward to target
    links.cut(port)    # silence: bytes both ways are read and dropped, connections stay open,
                       # new connections are accepted and held (a partition, not a reset)
    links.mend(port)   # forward again; every connection that lived through the cut is reset
                       # (its byte stream lost bytes), so peers reconnect on a clean stream
    links.stop()

Bounded: at most `max_connections` per link, reads of `chunk_bytes`, writes awaited (a slow
reader slows the writer). ProxyLoop, the thread and event loop these proxies run on, is shared
with tests/support/tcp_proxy.py (one link with delay, blackhole and reset modes).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, Self

CONTROL_TIMEOUT_S = 5.0


class _Conn:
    __slots__ = ("writers", "tainted")

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writers: list[asyncio.StreamWriter] = [writer]
        self.tainted = False  # lived through a cut: dropped bytes, reset at mend

    def abort(self) -> None:
        for w in self.writers:
            transport = w.transport
            if transport is not None and not transport.is_closing():
                transport.abort()


class _Link:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.cut = False
        self.conns: set[_Conn] = set()
        self.server: asyncio.Server | None = None
        self.bytes_forwarded = 0
        self.bytes_dropped = 0


class ProxyLoop:
    """An event loop in one daemon thread for TCP proxies, driven from any thread: start,
    run a coroutine on it (`_run`), stop (subclasses close their servers and connections in
    `_close`; the byte pumps are cancelled, then the loop ends)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pumps: set[asyncio.Future[None]] = set()

    def start(self) -> Self:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(CONTROL_TIMEOUT_S):
            raise RuntimeError(f"{type(self).__name__} did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        with contextlib.suppress(Exception):
            self._run(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(CONTROL_TIMEOUT_S)
        self._loop = None

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        if self._loop is None:
            coro.close()
            raise RuntimeError(f"{type(self).__name__} not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(CONTROL_TIMEOUT_S)

    def _main(self, ready: threading.Event) -> None:
        loop = self._loop = asyncio.new_event_loop()
        loop.call_soon(ready.set)
        loop.run_forever()
        loop.close()

    def _close(self) -> None:
        """On the loop, at stop: close the servers and abort the connections."""
        raise NotImplementedError

    async def _shutdown(self) -> None:
        self._close()
        for task in list(self._pumps):  # each accept handler then returns by itself
            task.cancel()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if others:
            await asyncio.wait(others, timeout=CONTROL_TIMEOUT_S)

    async def _splice(
        self, there: Coroutine[Any, Any, None], back: Coroutine[Any, Any, None]
    ) -> None:
        """Run a connection's two pumps (one a direction) until either ends; cancel both."""
        pumps = [asyncio.ensure_future(there), asyncio.ensure_future(back)]
        self._pumps.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for p in pumps:
                p.cancel()
                self._pumps.discard(p)


class LinkProxies(ProxyLoop):
    def __init__(
        self, *, listen_host: str = "127.0.0.1", max_connections: int = 64, chunk_bytes: int = 65536
    ) -> None:
        super().__init__()
        self.listen_host = listen_host
        self.max_connections = max_connections
        self.chunk_bytes = chunk_bytes
        self._links: dict[int, _Link] = {}

    # ---- control (any thread) ----------------------------------------------------------------
    def add(self, target_host: str, target_port: int) -> int:
        """A new link forwarding to target; returns its listening port."""
        return self._run(self._add((target_host, target_port)))

    def cut(self, port: int) -> None:
        self._run(self._set_cut(port, True))

    def mend(self, port: int) -> None:
        self._run(self._set_cut(port, False))

    def is_cut(self, port: int) -> bool:
        return self._links[port].cut

    def stats(self, port: int) -> tuple[int, int]:
        """(bytes forwarded, bytes dropped) of one link."""
        link = self._links[port]
        return link.bytes_forwarded, link.bytes_dropped

    # ---- the proxies' own loop ---------------------------------------------------------------
    async def _add(self, target: tuple[str, int]) -> int:
        link = _Link(target)
        link.server = await asyncio.start_server(
            lambda r, w: self._accept(link, r, w), self.listen_host, 0
        )
        port: int = link.server.sockets[0].getsockname()[1]
        self._links[port] = link
        return port

    async def _set_cut(self, port: int, cut: bool) -> None:
        link = self._links[port]
        link.cut = cut
        for conn in list(link.conns):
            if cut:
                conn.tainted = True
            elif conn.tainted:
                conn.abort()

    def _close(self) -> None:
        for link in self._links.values():
            if link.server is not None:
                link.server.close()
            for conn in list(link.conns):
                conn.abort()

    async def _accept(
        self, link: _Link, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        conn = _Conn(writer)
        if len(link.conns) >= self.max_connections:
            conn.abort()
            return
        link.conns.add(conn)
        try:
            if link.cut:  # held open, never forwarded; reset at mend
                conn.tainted = True
                await self._pump(link, conn, reader, None)
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*link.target)
            except OSError:
                return
            conn.writers.append(up_writer)
            await self._splice(
                self._pump(link, conn, reader, up_writer), self._pump(link, conn, up_reader, writer)
            )
        finally:
            link.conns.discard(conn)
            conn.abort()

    async def _pump(
        self,
        link: _Link,
        conn: _Conn,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter | None,
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while chunk := await reader.read(self.chunk_bytes):
                if writer is None or conn.tainted:
                    link.bytes_dropped += len(chunk)
                    continue
                writer.write(chunk)
                await writer.drain()
                link.bytes_forwarded += len(chunk)
