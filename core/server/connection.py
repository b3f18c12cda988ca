"""One Kafka client connection: read frames, dispatch, write responses in order.

Requests are pipelined: each is dispatched as a task as soon as it is read (tasks
start in creation order, so a produce's append happens in request order), and a
writer coroutine (response_writer.py) sends the responses in request order. At most
`max_inflight` requests per connection are outstanding; reading pauses beyond that.

Memory and time bounds (the listener's watchdog enforces the deadlines, see listener.py):
- a frame over `kafka_request_max_bytes` closes the connection;
- a frame's body is read only after its size was reserved from the broker-wide
  `RequestBudget`; the reservation is returned once the request has been handled and its
  response produced;
- once a frame's first byte has arrived, the frame must be complete within
  `kafka_request_read_timeout_ms` (the time spent waiting for budget does not count: the
  client is not at fault for it);
- a connection with nothing in flight that completed no request and got no response for
  `kafka_connections_max_idle_ms` is closed.

Failures: an exception escaping a handler is logged on one line (API, version, client) with
the traceback at DEBUG only, and answered with UNKNOWN_SERVER_ERROR (or, for a Produce with
acks=0, which gets no response, by closing the connection as Kafka does). A request that
cannot be decoded closes the connection with one warning line naming the peer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from core.common import metrics
from core.protocol import codec
from core.protocol.errors import ErrorCode
from core.protocol.framing import SIZE, FrameError, check_frame_size, peek_request
from core.server import dispatch, quotas
from core.server.budget import RequestBudget, Units
from core.server.context import RequestContext, Services
from core.server.response_writer import (
    CLOSE,
    ConnectionClosing,
    ResponseWriter,
    enqueue,
    release_unsent,
)
from core.server.responses import NO_RESPONSE, RawResponse, error_response

if TYPE_CHECKING:
    from core.security.sasl import SaslSession

log = logging.getLogger("ailurus.kafka")

MAX_INFLIGHT_PER_CONNECTION = 32
REQUEST_MAX_BYTES = "kafka_request_max_bytes"
PRODUCE_KEY = 0
# Kafka's sasl.server.max.receive.size: a larger frame before the first login closes the connection.
UNAUTHENTICATED_MAX_FRAME_BYTES = 512 * 1024
# What an unauthenticated connection on a SASL listener may send (anything else closes it).
SASL_KEYS = frozenset({17, 36})
BEFORE_AUTH_KEYS = frozenset({codec.API_VERSIONS_KEY, *SASL_KEYS})
MAX_ERROR_TEXT = 300


def describe(exc: BaseException) -> str:
    """An exception as one bounded line: `Type: message`."""
    text = f"{type(exc).__name__}: {exc}".replace("\r", " ").replace("\n", " | ")
    return text if len(text) <= MAX_ERROR_TEXT else text[: MAX_ERROR_TEXT - 3] + "..."


def api_name(module: Any) -> str:
    """A handler module's API name, e.g. "produce"."""
    return module.__name__.rsplit(".", 1)[-1]


class KafkaConnection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        services: Services,
        *,
        budget: RequestBudget,
        max_frame_bytes: int | None = None,
        handlers: Mapping[int, Any] | None = None,
        session: SaslSession | None = None,
        listener: str | None = None,
    ) -> None:
        """`listener`: the name of the Kafka listener that accepted the connection (Metadata
        and FindCoordinator answer with the brokers' addresses on that listener)."""
        self._reader = reader
        self._writer = writer
        self._services = services
        self._budget = budget
        self._max_frame_bytes = max_frame_bytes  # a hard cap below kafka_request_max_bytes
        self._handlers = handlers if handlers is not None else dispatch.handlers()
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        # Watched by the listener: see check_deadlines.
        self.frame_started_at: float | None = None
        self.frame_size: int | None = None
        self.waiting_for_budget = False
        self.inflight = 0
        self.last_active_at = time.monotonic()
        self.closed_reason: str | None = None
        self.session = session  # SASL state; None on a listener without SASL
        self.listener = listener
        self._response_writer = ResponseWriter(writer, self._answered)
        self._hold = False  # the last request must finish before the next frame is read
        self.muted_until = 0.0  # throttled by a client quota: read nothing before (monotonic s)

    async def run(self) -> None:
        queue: asyncio.Queue = asyncio.Queue(maxsize=MAX_INFLIGHT_PER_CONNECTION)
        writer_task = asyncio.create_task(self._response_writer.run(queue))
        try:
            await self._read_loop(queue, writer_task)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except (FrameError, ConnectionClosing) as exc:
            log.warning("closing connection from %s: %s", self.peer, exc)
        except Exception as exc:
            log.warning("closing connection from %s: unexpected %s", self.peer, describe(exc))
            log.debug("connection from %s failed", self.peer, exc_info=exc)
        finally:
            await self._finish_writer(queue, writer_task)

    async def _finish_writer(self, queue: asyncio.Queue, writer_task: asyncio.Task) -> None:
        if not writer_task.done():
            try:
                queue.put_nowait(None)
            except asyncio.QueueFull:
                writer_task.cancel()
        try:
            await writer_task
        except (asyncio.CancelledError, ConnectionError, RuntimeError) as exc:
            log.debug("connection from %s ended while writing: %r", self.peer, exc)
        except Exception as exc:
            log.warning("connection from %s failed while writing: %s", self.peer, describe(exc))
            log.debug("connection from %s failed while writing", self.peer, exc_info=exc)
        finally:
            release_unsent(queue)
            self._writer.close()

    # Reading.

    async def _read_loop(self, queue: asyncio.Queue, writer_task: asyncio.Task) -> None:
        budget = self._budget
        while True:
            await quotas.wait_unmuted(self)  # throttled: read nothing more until it has passed
            payload, units = await self._read_frame()
            try:
                item = self._dispatch(payload)
            except BaseException:
                budget.release(units)
                raise
            if item.done():
                budget.release(units)
            else:
                item.add_done_callback(_releaser(budget, units))
            self.inflight += 1
            if not queue.full():
                queue.put_nowait(item)
            elif not await enqueue(queue, item, writer_task):
                return  # the writer is gone: so is the connection
            if self._hold:  # authentication: Kafka mutes the connection until it is answered
                await asyncio.wait((item,))
                if self.session is not None and self.session.failed:
                    return  # the queued answer is written, then the connection closes

    async def _read_frame(self) -> tuple[bytes, Units]:
        """The next frame's payload and the budget units it holds (the caller releases them)."""
        reader = self._reader
        head = await reader.read(SIZE.size)  # returns as soon as the first byte is there
        if not head:
            raise asyncio.IncompleteReadError(b"", SIZE.size)
        self.frame_started_at = time.monotonic()
        if len(head) < SIZE.size:
            head += await reader.readexactly(SIZE.size - len(head))
        size = SIZE.unpack(head)[0]
        check_frame_size(size, self._frame_limit())
        self.frame_size = size
        units = self._budget.try_acquire(size)
        if units is None:
            units = await self._wait_for_budget(size)
        try:
            payload = await reader.readexactly(size)
        except BaseException:
            self._budget.release(units)
            raise
        self.frame_started_at = self.frame_size = None
        self.last_active_at = time.monotonic()
        return payload, units

    def _frame_limit(self) -> int:
        limit = self._services.cluster_config.get(REQUEST_MAX_BYTES)
        if self._max_frame_bytes is not None and self._max_frame_bytes < limit:
            limit = self._max_frame_bytes
        if self.session is not None and self.session.principal is None:  # not logged in yet
            return min(limit, UNAUTHENTICATED_MAX_FRAME_BYTES)
        return limit

    async def _wait_for_budget(self, size: int) -> Units:
        self.frame_started_at = None  # the read deadline restarts once the budget is granted
        self.waiting_for_budget = True
        try:
            return await self._budget.acquire(size)
        finally:
            self.waiting_for_budget = False
            self.frame_started_at = time.monotonic()

    def _dispatch(self, payload: bytes) -> asyncio.Future:
        session = self.session
        if session is not None and session.raw_tokens:
            self._hold = True
            return asyncio.ensure_future(self._raw_token(session, payload))
        api_key, api_version, correlation_id = peek_request(payload)
        self._hold = session is not None and (api_key in SASL_KEYS or not session.authenticated)
        if self._hold and api_key not in BEFORE_AUTH_KEYS:
            assert session is not None
            state = "expired" if session.principal else "authentication"
            raise ConnectionClosing(
                f"api key {api_key} (correlation id {correlation_id}) sent before SASL "
                f"{state}; only ApiVersions, SaslHandshake and SaslAuthenticate are allowed"
            )
        if not dispatch.supported(api_key, api_version) or api_key not in self._handlers:
            return _ready(self._unsupported(api_key, api_version, correlation_id))
        try:
            header, request = codec.decode_request(payload, api_key, api_version)
        except Exception as exc:
            name = api_name(self._handlers[api_key])
            raise ConnectionClosing(
                f"cannot decode {name} v{api_version} request "
                f"(correlation id {correlation_id}): {describe(exc)}"
            ) from None
        ctx = RequestContext(
            api_key,
            api_version,
            correlation_id,
            header,
            self._services,
            self.peer,
            session,
            listener=self.listener,
        )
        self._hold = self._hold or quotas.bound(ctx)  # under a quota: one request at a time
        return asyncio.ensure_future(self._handle(ctx, request, len(payload)))

    async def _raw_token(self, session: SaslSession, token: bytes) -> Any:
        """A bare SASL token after a v0 SaslHandshake: the answer is a bare token too; a
        failure closes the connection without one (Kafka's pre-KIP-152 framing)."""
        from core.security.sasl import AuthenticationFailed

        try:
            answer = await session.step(token)
        except AuthenticationFailed as exc:
            log.warning("SASL authentication failed from %s: %s", self.peer, exc)
            return CLOSE
        return SIZE.pack(len(answer)) + answer

    # Handling.

    async def _handle(self, ctx: RequestContext, request: Any, size: int = 0) -> Any:
        module = self._handlers[ctx.api_key]
        started = time.perf_counter()
        name = api_name(module)
        try:
            response = await module.handle(ctx, request)
            response = await quotas.throttle(ctx, response, size, self)
            error_code = int(getattr(response, "error_code", 0) or 0)
            result = _encode(ctx, response)
        except Exception as exc:
            error_code = ErrorCode.unknown_server_error.value
            result = self._failed(ctx, name, request, exc)
        metrics.record_request(name, error_code, time.perf_counter() - started)
        return result

    def _failed(self, ctx: RequestContext, name: str, request: Any, exc: Exception) -> Any:
        """The answer to a request whose handler raised, logged once on one line."""
        if ctx.api_key == PRODUCE_KEY and getattr(request, "acks", None) == 0:
            result, outcome = CLOSE, "closing the connection (acks=0: no response)"
        else:
            try:
                error = error_response(ctx.api_key, ctx.api_version, ErrorCode.unknown_server_error)
                result, outcome = _encode(ctx, error), "answered UNKNOWN_SERVER_ERROR"
            except Exception as second:
                result = CLOSE
                outcome = f"closing the connection (no error response: {describe(second)})"
        log.warning(
            "%s v%d request (correlation id %d, client id %r) from %s failed: %s; %s",
            name,
            ctx.api_version,
            ctx.correlation_id,
            ctx.client_id,
            self.peer,
            describe(exc),
            outcome,
        )
        log.debug("%s v%d from %s failed", name, ctx.api_version, self.peer, exc_info=exc)
        return result

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
            response = error_response(api_key, api_version, ErrorCode.unsupported_version)
            return codec.encode_response(api_key, api_version, correlation_id, response)
        return codec.unsupported_key_frame(correlation_id, ErrorCode.unsupported_version.value)

    def _answered(self) -> None:
        self.inflight -= 1
        self.last_active_at = time.monotonic()

    # Deadlines (called by the listener's watchdog).

    def check_deadlines(self, now: float, read_timeout_s: float, idle_s: float) -> None:
        if self.closed_reason is not None:
            return
        started = self.frame_started_at
        if started is not None:
            if now - started > read_timeout_s:
                size = "header" if self.frame_size is None else f"of {self.frame_size} bytes"
                self.abort(
                    f"request frame {size} not received within {read_timeout_s * 1000:.0f} ms "
                    "(kafka_request_read_timeout_ms)",
                    logging.WARNING,
                )
        elif not self.waiting_for_budget and self.inflight == 0:
            if now - self.last_active_at > idle_s:
                self.abort(
                    f"idle for {idle_s * 1000:.0f} ms (kafka_connections_max_idle_ms)",
                    logging.DEBUG,
                )

    def abort(self, reason: str, level: int) -> None:
        """Close at once (the read loop then ends on EOF), logging `reason` once."""
        if self.closed_reason is not None:
            return
        self.closed_reason = reason
        log.log(level, "closing connection from %s: %s", self.peer, reason)
        self._writer.transport.abort()


def _encode(ctx: RequestContext, response: Any) -> Any:
    if response is NO_RESPONSE or isinstance(response, RawResponse):
        return response
    return codec.encode_response(ctx.api_key, ctx.api_version, ctx.correlation_id, response)


def _releaser(budget: RequestBudget, units: Units) -> Callable[[asyncio.Future], None]:
    """A done-callback returning a request's budget units."""
    return lambda _fut: budget.release(units)


def _ready(value: Any) -> asyncio.Future:
    fut = asyncio.get_running_loop().create_future()
    fut.set_result(value)
    return fut
