"""One Kafka client connection: read frames, dispatch, write responses in order.

Requests are pipelined: each is dispatched as a task as soon as it is read (tasks
start in creation order, so a produce's append happens in request order), and a
writer coroutine sends the responses in request order. At most
`max_inflight` requests per connection are outstanding; reading pauses beyond that.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from core.common import metrics
from core.protocol import codec
from core.protocol.errors import ErrorCode
from core.protocol.fetch_wire import FileRegion
from core.protocol.framing import SIZE, FrameError, check_frame_size, peek_request
from core.server import dispatch
from core.server.context import RequestContext, Services

log = logging.getLogger("ailurus.kafka")

MAX_INFLIGHT_PER_CONNECTION = 32


class RawResponse:
    """A response already encoded as parts (bytes and file regions), e.g. Fetch."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[bytes | FileRegion]) -> None:
        self.parts = parts

    def release(self) -> None:
        for part in self.parts:
            if isinstance(part, FileRegion):
                os.close(part.fd)
        self.parts = []


NO_RESPONSE = object()  # Produce with acks=0: Kafka sends nothing back


class KafkaConnection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        services: Services,
        *,
        max_frame_bytes: int,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._services = services
        self._max_frame_bytes = max_frame_bytes
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)

    async def run(self) -> None:
        queue: asyncio.Queue = asyncio.Queue(maxsize=MAX_INFLIGHT_PER_CONNECTION)
        writer_task = asyncio.create_task(self._write_loop(queue))
        try:
            await self._read_loop(queue)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except (FrameError, codec.DecodeError) as exc:
            log.warning("closing connection from %s: %s", self.peer, exc)
        finally:
            if not writer_task.done():
                try:
                    queue.put_nowait(None)
                except asyncio.QueueFull:
                    writer_task.cancel()
            try:
                await writer_task
            except (asyncio.CancelledError, ConnectionError, RuntimeError) as exc:
                log.debug("connection from %s ended while writing: %r", self.peer, exc)
            finally:
                _release_unsent(queue)
                self._writer.close()

    async def _read_loop(self, queue: asyncio.Queue) -> None:
        reader = self._reader
        while True:
            size = SIZE.unpack(await reader.readexactly(4))[0]
            check_frame_size(size, self._max_frame_bytes)
            payload = await reader.readexactly(size)
            api_key, api_version, correlation_id = peek_request(payload)
            task = self._dispatch(api_key, api_version, correlation_id, payload)
            await queue.put(task)

    def _dispatch(self, api_key: int, api_version: int, correlation_id: int, payload: bytes) -> Any:
        if not dispatch.supported(api_key, api_version):
            return _ready(self._unsupported(api_key, api_version, correlation_id))
        header, request = codec.decode_request(payload, api_key, api_version)
        ctx = RequestContext(
            api_key, api_version, correlation_id, header, self._services, self.peer
        )
        return asyncio.ensure_future(self._handle(ctx, request))

    async def _handle(self, ctx: RequestContext, request: Any) -> Any:
        module = dispatch.handlers()[ctx.api_key]
        started = time.perf_counter()
        name = module.__name__.rsplit(".", 1)[-1]
        try:
            response = await module.handle(ctx, request)
        except Exception:
            log.exception("%s v%d from %s failed", name, ctx.api_version, self.peer)
            response = dispatch.error_response(
                ctx.api_key, ctx.api_version, ErrorCode.unknown_server_error
            )
        metrics.record_request(
            name, int(getattr(response, "error_code", 0) or 0), time.perf_counter() - started
        )
        if response is NO_RESPONSE or isinstance(response, RawResponse):
            return response
        return codec.encode_response(ctx.api_key, ctx.api_version, ctx.correlation_id, response)

    def _unsupported(self, api_key: int, api_version: int, correlation_id: int) -> bytes:
        if api_key == codec.API_VERSIONS_KEY:
            # Clients probe their newest ApiVersions first and retry with our answer: routine.
            log.debug(
                "%s asked for ApiVersions v%d; answering v0 with our versions",
                self.peer,
                api_version,
            )
            from core.server.handlers.api_versions import unsupported_version_response

            return codec.encode_response(api_key, 0, correlation_id, unsupported_version_response())
        log.info("%s asked for unsupported api key %d version %d", self.peer, api_key, api_version)
        if codec.request_class(api_key, api_version) is not None:
            response = dispatch.error_response(api_key, api_version, ErrorCode.unsupported_version)
            return codec.encode_response(api_key, api_version, correlation_id, response)
        return codec.unsupported_key_frame(correlation_id, ErrorCode.unsupported_version.value)

    async def _write_loop(self, queue: asyncio.Queue) -> None:
        writer = self._writer
        while True:
            item = await queue.get()
            if item is None:
                return
            response = await item
            if writer.transport.is_closing():  # the peer is gone: nothing more can be sent
                _release_result(item)
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
            if writer.transport.get_write_buffer_size() > 1024 * 1024:
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
            with open(part.fd, "rb", buffering=0, closefd=False) as file:  # noqa: ASYNC230 (wraps an open fd)
                try:
                    await loop.sendfile(
                        writer.transport, file, part.position, part.length, fallback=True
                    )
                except NotImplementedError:
                    writer.write(os.pread(part.fd, part.length, part.position))


def _release_unsent(queue: asyncio.Queue) -> None:
    """Responses never written (the peer went away) still hold duplicated segment fds."""
    while not queue.empty():
        item = queue.get_nowait()
        if item is not None:
            item.add_done_callback(_release_result)


def _release_result(fut: asyncio.Future) -> None:
    if not fut.cancelled() and fut.exception() is None and isinstance(fut.result(), RawResponse):
        fut.result().release()


def _ready(value: Any) -> asyncio.Future:
    fut = asyncio.get_running_loop().create_future()
    fut.set_result(value)
    return fut
