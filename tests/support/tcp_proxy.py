"""A small bounded TCP proxy for cutting links in tests: forward, blackhole, delay, close.

    proxy = TcpProxy("127.0.0.1", target_port).start()   # listens on 127.0.0.1:proxy.port
    proxy.blackhole()      # connections stay open, bytes both ways are read and dropped
    proxy.delay(50)        # every chunk is forwarded 50 ms after it was read (order kept)
    proxy.close_links()    # open connections are reset; new ones are accepted then closed
    proxy.forward()        # back to normal (connections cut before stay cut)
    proxy.stop()

It runs its own event loop in one daemon thread (core.testing.link_proxy.ProxyLoop, shared
with the cluster's link proxies), so synchronous tests (broker processes) and asyncio tests
alike can use it. Bounded: at most `max_connections` connections,
reads of `chunk_bytes`, at most `queue_chunks` chunks waiting per direction (a slow
reader slows the writer, as TCP would). The mode applies per chunk as it is read.
"""

from __future__ import annotations

import asyncio
import time

from core.testing.link_proxy import ProxyLoop

FORWARD, BLACKHOLE, DELAY, CLOSE = "forward", "blackhole", "delay", "close"


class TcpProxy(ProxyLoop):
    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        listen_host: str = "127.0.0.1",
        max_connections: int = 64,
        chunk_bytes: int = 64 * 1024,
        queue_chunks: int = 64,
    ) -> None:
        super().__init__()
        self.target = (target_host, target_port)
        self.listen_host = listen_host
        self.max_connections = max_connections
        self.chunk_bytes = chunk_bytes
        self.queue_chunks = queue_chunks
        self.port = 0
        self.mode = FORWARD
        self.delay_ms = 0
        self.accepted = 0
        self.bytes_forwarded = 0
        self.bytes_dropped = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    # ---- control (any thread) ---------------------------------------------------------------------
    def start(self) -> TcpProxy:
        super().start()
        self.port = self._run(self._listen())
        return self

    def forward(self) -> None:
        self.mode, self.delay_ms = FORWARD, 0

    def blackhole(self) -> None:
        self.mode = BLACKHOLE

    def delay(self, delay_ms: int) -> None:
        self.mode, self.delay_ms = DELAY, delay_ms

    def close_links(self) -> None:
        self.mode = CLOSE
        self._call(self._reset_all)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def open_connections(self) -> int:
        return len(self._writers) // 2

    # ---- the proxy's own loop ---------------------------------------------------------------------
    async def _listen(self) -> int:
        self._server = await asyncio.start_server(self._accept, self.listen_host, 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def _call(self, fn) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(fn)

    def _reset_all(self) -> None:
        for w in list(self._writers):
            _abort(w)

    def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        self._reset_all()

    async def _accept(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode == CLOSE or len(self._writers) // 2 >= self.max_connections:
            _abort(c_writer)
            return
        try:
            u_reader, u_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _abort(c_writer)
            return
        self._writers |= {c_writer, u_writer}
        try:
            await self._splice(
                self._pump(c_reader, u_writer, c_writer), self._pump(u_reader, c_writer, u_writer)
            )
        finally:
            for w in (c_writer, u_writer):
                self._writers.discard(w)
                _abort(w)

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, own: asyncio.StreamWriter
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue(self.queue_chunks)
        sender = asyncio.ensure_future(self._send(queue, writer))
        try:
            while True:
                chunk = await reader.read(self.chunk_bytes)
                if not chunk or self.mode == CLOSE:
                    break
                if self.mode == BLACKHOLE:
                    self.bytes_dropped += len(chunk)
                    continue
                due = time.monotonic() + (self.delay_ms / 1000 if self.mode == DELAY else 0)
                await queue.put((due, chunk))
            await queue.put(None)
            await sender
        except (ConnectionError, OSError):
            pass
        finally:
            sender.cancel()

    async def _send(
        self, queue: asyncio.Queue[tuple[float, bytes] | None], writer: asyncio.StreamWriter
    ) -> None:
        while (item := await queue.get()) is not None:
            due, chunk = item
            wait_s = due - time.monotonic()
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            if self.mode == BLACKHOLE:
                self.bytes_dropped += len(chunk)
                continue
            if self.mode == CLOSE:
                return
            writer.write(chunk)
            await writer.drain()
            self.bytes_forwarded += len(chunk)


def _abort(writer: asyncio.StreamWriter) -> None:
    transport = writer.transport
    if transport is not None and not transport.is_closing():
        transport.abort()
