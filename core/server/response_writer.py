"""The write side of a Kafka connection: responses sent in request order.

`ResponseWriter.run` takes the queue of request futures (in request order) and writes each
result as it completes: encoded bytes as they are, a `RawResponse`'s file regions with
sendfile (or, through TLS, read in chunks and written), `NO_RESPONSE` not at all, and `CLOSE`
by stopping. Responses never written still hold duplicated segment fds: the helpers below
release them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from core.protocol.fetch_wire import FileRegion
from core.server.responses import NO_RESPONSE, RawResponse

TLS_CHUNK_BYTES = 256 * 1024  # a fetch over TLS is read from the segment in chunks this size
DRAIN_ABOVE_BYTES = 1024 * 1024

CLOSE = object()  # no response can carry the error: close the connection after what was sent


class ConnectionClosing(Exception):
    """The connection must be closed; the message says why (logged on one line)."""


class ResponseWriter:
    def __init__(self, writer: asyncio.StreamWriter, on_answered: Callable[[], None]) -> None:
        self._writer = writer
        self._on_answered = on_answered  # after each request's future completes
        self._tls = writer.get_extra_info("sslcontext") is not None  # no sendfile through TLS

    async def run(self, queue: asyncio.Queue) -> None:
        try:
            await self._write_responses(queue)
        finally:
            self._writer.close()  # also ends the read loop (EOF) when writing failed

    async def _write_responses(self, queue: asyncio.Queue) -> None:
        writer = self._writer
        carried: list = []  # an item taken while coalescing, not written yet
        while True:
            item = carried.pop() if carried else await queue.get()
            if item is None:
                return
            try:
                response = await item
            finally:
                self._on_answered()
            if writer.transport.is_closing():  # the peer is gone: nothing more can be sent
                release_result(item)
                return
            if response is CLOSE:
                return
            if response is NO_RESPONSE:
                continue
            if isinstance(response, RawResponse):
                try:
                    await self._send_parts(response)
                finally:
                    response.release()
            else:
                writer.write(self._with_ready(queue, response, carried))
            if writer.transport.get_write_buffer_size() > DRAIN_ABOVE_BYTES:
                try:
                    await writer.drain()
                except BaseException:
                    for left in carried:  # taken from the queue: released like the rest
                        if left is not None:
                            left.add_done_callback(release_result)
                    raise

    def _with_ready(self, queue: asyncio.Queue, response: bytes, carried: list) -> bytes:
        """`response` and the encoded responses queued behind it that are ready already, as
        one write (one send: pipelined requests answered together, such as a transaction's
        Produce requests acknowledged by one fsync); the first item that is not, in
        `carried`."""
        chunks = None
        while not queue.empty():
            item = queue.get_nowait()
            if not _encoded(item):
                carried.append(item)
                break
            self._on_answered()
            chunks = chunks or [response]
            chunks.append(item.result())
        return b"".join(chunks) if chunks else response

    async def _send_parts(self, response: RawResponse) -> None:
        writer = self._writer
        loop = asyncio.get_running_loop()
        for part in response.parts:
            if not isinstance(part, FileRegion):
                writer.write(part)
                continue
            if part.length == 0:
                continue
            if self._tls:  # the bytes must pass through the TLS layer: read, then write
                await self._write_region(part)
                continue
            with open(part.fd, "rb", buffering=0, closefd=False) as file:  # noqa: ASYNC230 (wraps an open fd)
                try:
                    await loop.sendfile(
                        writer.transport, file, part.position, part.length, fallback=True
                    )
                except NotImplementedError:
                    writer.write(os.pread(part.fd, part.length, part.position))

    async def _write_region(self, part: FileRegion) -> None:
        position, end = part.position, part.position + part.length
        while position < end:
            chunk = os.pread(part.fd, min(TLS_CHUNK_BYTES, end - position), position)
            if not chunk:
                raise ConnectionClosing("segment shorter than the fetch response claimed")
            self._writer.write(chunk)
            position += len(chunk)
            await self._writer.drain()


async def enqueue(queue: asyncio.Queue, item: asyncio.Future, writer_task: asyncio.Task) -> bool:
    """Queue `item`, waiting for room; False (item not queued) if the writer ended first."""
    put = asyncio.ensure_future(queue.put(item))
    try:
        await asyncio.wait((put, writer_task), return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not put.done():
            put.cancel()
    if put.done() and not put.cancelled():
        return True
    item.add_done_callback(release_result)
    return False


def release_unsent(queue: asyncio.Queue) -> None:
    """Responses never written (the peer went away) still hold duplicated segment fds."""
    while not queue.empty():
        item = queue.get_nowait()
        if item is not None:
            item.add_done_callback(release_result)


def _encoded(item: asyncio.Future | None) -> bool:
    """A request future answered with encoded bytes (a plain response, written as is)."""
    return (
        item is not None
        and item.done()
        and not item.cancelled()
        and item.exception() is None
        and isinstance(item.result(), bytes)
    )


def release_result(fut: asyncio.Future) -> None:
    if not fut.cancelled() and fut.exception() is None and isinstance(fut.result(), RawResponse):
        fut.result().release()
