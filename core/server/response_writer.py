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
        while True:
            item = await queue.get()
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
                writer.write(response)
            if writer.transport.get_write_buffer_size() > DRAIN_ABOVE_BYTES:
                await writer.drain()

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


def release_result(fut: asyncio.Future) -> None:
    if not fut.cancelled() and fut.exception() is None and isinstance(fut.result(), RawResponse):
        fut.result().release()
