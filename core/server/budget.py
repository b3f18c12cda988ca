"""The broker-wide budget for in-flight Kafka request bytes.

A connection acquires budget for a frame's announced size *before* reading the frame's body
and gives it back when the request has been handled and its response produced (see
`core.server.connection`). This is Kafka's `queued.max.request.bytes` memory pool and
Redpanda's per-server memory semaphore; here the size is `kafka_request_max_inflight_bytes`,
read live from the cluster config at each acquire, so an Admin API change applies at once.

While a connection waits for budget it reads nothing more: its bytes stay in the kernel's
socket buffers and TCP flow control slows the client down.

Decisions:
- A frame larger than what it may reserve is *clamped*: it reserves all it may, so it waits
  until enough is free and then proceeds (memory stays bounded by
  max(budget, kafka_request_max_bytes)). Kafka does the same in effect: its pool is created
  non-strict, so any request under `socket.request.max.bytes` gets through once memory is
  free. Frames are refused only by size (`kafka_request_max_bytes`), never by the budget.
- Small frames keep a lane of their own: frames above `small_frame_max(capacity)` may hold
  at most 7/8 of the budget together, so a few clients announcing huge frames and trickling
  them in (holding their reservation until the read deadline) cannot stop the ordinary
  small requests (metadata, fetch, produce of a normal batch size) of everyone else. With a
  single FIFO semaphore (Redpanda) or pool (Kafka) they would wait behind the huge ones.
- Within a lane waiters are served first come, first served, so a large frame is not starved
  by later large ones; small frames go ahead of waiting large ones only while the large lane
  is full, and small requests finish quickly.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from core.common import metrics
from core.common.light_metrics import Counter, Gauge

_blocked = Counter(
    "vectorized_kafka_rpc_requests_blocked_memory",
    "Kafka requests that waited for the in-flight request memory budget",
    registry=metrics.REGISTRY,
)
_inflight_bytes = Gauge(
    "vectorized_kafka_rpc_inflight_request_bytes",
    "Request bytes reserved from the in-flight budget (kafka_request_max_inflight_bytes)",
    registry=metrics.REGISTRY,
)


SMALL_LANE_DIVISOR = 8  # the small lane: the last 1/8 of the budget only small frames may use
SMALL_FRAME_DIVISOR = 64  # a small frame: at most 1/64 of the budget (4 MiB of the default 256)


def large_capacity(capacity: int) -> int:
    """What large frames may hold together."""
    return capacity - capacity // SMALL_LANE_DIVISOR


def small_frame_max(capacity: int) -> int:
    return capacity // SMALL_FRAME_DIVISOR


class RequestBudget:
    """A byte semaphore with a lane for small frames; its capacity is read live."""

    __slots__ = ("_capacity", "_used", "_large_used", "_small", "_large")

    def __init__(self, capacity_bytes: Callable[[], int]) -> None:
        self._capacity = capacity_bytes
        self._used = 0  # bytes held by all frames
        self._large_used = 0  # of which by large frames
        self._small: deque[_Waiter] = deque()
        self._large: deque[_Waiter] = deque()
        _inflight_bytes.set_function(lambda: self._used)  # read at scrape time, not per request

    @property
    def used_bytes(self) -> int:
        return self._used

    @property
    def waiting(self) -> int:
        return len(self._small) + len(self._large)

    def try_acquire(self, size: int) -> Units | None:
        """Reserve for a frame of `size` bytes if it may go now; the units to `release`."""
        capacity = self._capacity()
        if size <= small_frame_max(capacity):
            if self._small or self._used + size > capacity:
                return None
            self._used += size
            return Units(size, False)
        return self._try_large(size, capacity, queued=bool(self._large))

    def _try_large(self, size: int, capacity: int, *, queued: bool) -> Units | None:
        limit = large_capacity(capacity)
        units = size if size < limit else limit
        if queued or self._large_used + units > limit or self._used + units > capacity:
            return None
        self._used += units
        self._large_used += units
        return Units(units, True)

    async def acquire(self, size: int) -> Units:
        """Reserve for a frame of `size` bytes, waiting in line; returns the units to `release`."""
        units = self.try_acquire(size)
        if units is not None:
            return units
        _blocked.inc()
        waiter = _Waiter(size, asyncio.get_running_loop().create_future())
        lane = self._small if size <= small_frame_max(self._capacity()) else self._large
        lane.append(waiter)
        try:
            return await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                self.release(waiter.future.result())  # granted as we were cancelled
            else:
                if waiter in lane:
                    lane.remove(waiter)
                self.wake()  # we may have been the head that blocked the others
            raise

    def release(self, units: Units) -> None:
        self._used -= units.size
        if units.large:
            self._large_used -= units.size
        if self._small or self._large:
            self.wake()

    def wake(self) -> None:
        """Grant waiters in order while the head of a lane fits (also after the capacity grew)."""
        capacity = self._capacity()
        small = self._small
        while small:
            waiter = small[0]
            if not waiter.future.done():
                size = min(waiter.size, capacity)  # the capacity may have shrunk meanwhile
                if self._used + size > capacity:
                    break
                self._used += size
                waiter.future.set_result(Units(size, False))
            small.popleft()
        large = self._large
        while large:
            waiter = large[0]
            if not waiter.future.done():
                units = self._try_large(waiter.size, capacity, queued=False)
                if units is None:
                    return
                waiter.future.set_result(units)
            large.popleft()


class Units:
    """A reservation: `size` bytes, from the large lane or not."""

    __slots__ = ("size", "large")

    def __init__(self, size: int, large: bool) -> None:
        self.size = size
        self.large = large


class _Waiter:
    __slots__ = ("size", "future")

    def __init__(self, size: int, future: asyncio.Future[Units]) -> None:
        self.size = size
        self.future = future
