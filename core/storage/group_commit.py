"""Group commit: one background flusher batches fdatasyncs across every log.

Appends request a flush of their log's FlushTarget (core.storage.flush); while a round
of fdatasyncs runs, new requests accumulate for the next round, so concurrent producers
share fsyncs. acks=all writes ask for an urgent flush; relaxed writes are flushed once
their target's `flush_ms` has passed or its `flush_bytes` have accumulated (topic
flush.ms / flush.bytes; Redpanda's defaults are 100 ms / 256 KiB).

The fdatasyncs of one round run in parallel on a small bounded pool (different files
sync independently on the device); the round completes when all of them finished, and
only then does any target learn its new flushed offset. A failed fdatasync is fatal.

Costs per round on the event loop (the transactional workload is bound by it): the flusher
sleeps on a bare future (no task or timer per round; a timer only while relaxed writes
wait), and a round is one submit to the pool: that thread hands the other shares to the
pool and runs the first; the last share to finish wakes the loop once (`_RoundLatch`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from core.storage.flush import FlushTarget

log = logging.getLogger("ailurus.storage")

FSYNC_WORKERS = 4  # fdatasyncs in flight at once


class GroupCommit:
    IDLE_WAIT_S = 1.0  # nothing pending: how long the loop sleeps between checks
    RETRY_DELAY_S = 0.1  # after a failed round

    def __init__(self, *, observe_fsync=None, on_fatal=None, workers: int = FSYNC_WORKERS) -> None:
        self._on_fatal = on_fatal or _exit_now
        self._stopping = False
        self._urgent: set[FlushTarget] = set()
        self._lazy: dict[FlushTarget, float] = {}  # target -> when first requested
        self._wakeup: asyncio.Future | None = None  # the sleeping flusher's, set to wake it
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fsync")
        self._task: asyncio.Task | None = None
        self._observe = observe_fsync
        self.rounds = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="group-commit")

    async def stop(self) -> None:
        """Let a round in progress finish (a cancelled round would leave its flush tickets
        outstanding, and closing their logs would fail), then flush what is left."""
        self._stopping = True
        self._wake()
        if self._task:
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self._flush_round(list(self._urgent | set(self._lazy)))
        self._pool.shutdown(wait=True)

    def request(self, target: FlushTarget, *, urgent: bool) -> None:
        if urgent:
            self._urgent.add(target)
            self._wake()
            return
        first = target not in self._lazy
        self._lazy.setdefault(target, time.monotonic())
        if first or target.pending_bytes >= target.policy.flush_bytes:
            self._wake()  # re-arm the timer for this target, or flush now for bytes

    def _wake(self, _handle: object = None) -> None:
        waiter = self._wakeup
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @staticmethod
    def _due_in_s(target: FlushTarget, since: float, now: float) -> float:
        if target.pending_bytes >= target.policy.flush_bytes:
            return 0.0
        return max(since + target.policy.flush_ms / 1000 - now, 0.0)

    def forget(self, owner) -> None:
        """Stop flushing a target (or the target of an owner such as a Consensus)."""
        target = getattr(owner, "flush_target", owner)
        self._urgent.discard(target)
        self._lazy.pop(target, None)

    async def _run(self) -> None:
        while not self._stopping:
            now = time.monotonic()
            waits = [self._due_in_s(t, since, now) for t, since in self._lazy.items()]
            timeout_s = min(waits, default=self.IDLE_WAIT_S)
            if timeout_s > 0 and not self._urgent:
                await self._sleep(timeout_s)
            if self._stopping:
                return
            now = time.monotonic()
            due = set(self._urgent)
            due.update(t for t, since in self._lazy.items() if self._due_in_s(t, since, now) == 0)
            if not due:
                continue
            try:
                await self._flush_round(list(due))
            except Exception:  # the flusher must outlive any one round, or acks=all hangs
                log.exception("flush round failed; retrying")
                self._urgent.update(due)
                await asyncio.sleep(self.RETRY_DELAY_S)

    async def _sleep(self, timeout_s: float) -> None:
        """Until `_wake` or `timeout_s`: a bare future, a timer only while lazy targets wait
        (nothing pending: every request wakes the flusher, so no timer is needed)."""
        loop = asyncio.get_running_loop()
        waiter = self._wakeup = loop.create_future()
        timer = loop.call_later(timeout_s, self._wake) if self._lazy else None
        try:
            await waiter
        finally:
            self._wakeup = None
            if timer is not None:
                timer.cancel()

    async def _flush_round(self, targets: list[FlushTarget]) -> None:
        tickets = []
        for target in targets:
            self._urgent.discard(target)
            self._lazy.pop(target, None)
            ticket = target.log.flush_begin()
            if ticket is not None:
                tickets.append((target, ticket))
        if not tickets:
            for target in targets:
                target.settle()
            return
        started = time.perf_counter()
        try:
            await self._sync_all([(target.log.flush_run, ticket) for target, ticket in tickets])
        except OSError as exc:
            # After a failed fsync the kernel may have marked the dirty pages clean, so a retry
            # could "succeed" without the data on disk. Nothing of this round was acknowledged;
            # stop at once, with no clean-shutdown marker, so startup recovery scans the log
            # (as PostgreSQL and Redpanda do).
            self._on_fatal(f"fdatasync failed: {exc}")
            return
        if self._observe:
            self._observe(time.perf_counter() - started)
        self.rounds += 1
        for target, ticket in tickets:
            target.log.flush_end(ticket)
            target.settle()

    async def _sync_all(self, work: list) -> None:
        """Run the fdatasyncs in up to `workers` parallel shares; wait for all of them (one
        wake-up of the loop, by the share that finishes last)."""
        loop = asyncio.get_running_loop()
        shares = min(self._workers, len(work))
        latch = _RoundLatch(loop, shares)
        self._pool.submit(latch.fan_out, self._pool, [work[i::shares] for i in range(shares)])
        await latch.done
        if latch.errors:
            oserrors = [e for e in latch.errors if isinstance(e, OSError)]
            raise (oserrors or latch.errors)[0]


class _RoundLatch:
    """The shares of one round: each runs in a pool thread; the last to finish resolves
    `done` on the loop (one call_soon_threadsafe per round)."""

    __slots__ = ("_loop", "_left", "_lock", "done", "errors")

    def __init__(self, loop: asyncio.AbstractEventLoop, shares: int) -> None:
        self._loop = loop
        self._left = shares
        self._lock = threading.Lock()
        self.done: asyncio.Future = loop.create_future()
        self.errors: list[BaseException] = []

    def fan_out(self, pool: ThreadPoolExecutor, shares: list[list]) -> None:
        """In a pool thread: hand the other shares to the pool, run the first one here (the
        loop pays one submit per round, not one per share)."""
        for share in shares[1:]:
            try:
                pool.submit(self.run, share)
            except BaseException as exc:  # noqa: BLE001 - the pool is shutting down
                self._finish(exc)
        self.run(shares[0])

    def run(self, work: list) -> None:
        try:
            _run_tickets(work)
        except BaseException as exc:  # noqa: BLE001 - handed to the loop, which raises it
            self._finish(exc)
        else:
            self._finish(None)

    def _finish(self, error: BaseException | None) -> None:
        with self._lock:
            if error is not None:
                self.errors.append(error)
            self._left -= 1
            last = self._left == 0
        if last:
            try:
                self._loop.call_soon_threadsafe(_resolve, self.done)
            except RuntimeError:  # the loop closed meanwhile: nobody waits any more
                pass


def _resolve(done: asyncio.Future) -> None:
    if not done.done():  # the flusher may have been cancelled meanwhile
        done.set_result(None)


def _exit_now(reason: str) -> None:
    log.critical("%s: stopping the broker without a clean shutdown", reason)
    logging.shutdown()
    os._exit(70)


def _run_tickets(work: list) -> None:
    for flush_run, ticket in work:
        flush_run(ticket)
