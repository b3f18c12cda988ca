"""Group commit: one background flusher batches fdatasyncs across every Raft group.

Appends request a flush; while a round of fdatasyncs runs in a worker thread, new
requests accumulate for the next round, so concurrent producers share fsyncs.
acks=all writes ask for an urgent flush; relaxed writes are flushed once a group's
`flush_delay_ms` has passed or its `flush_bytes_max` have accumulated (topic flush.ms /
flush.bytes; Redpanda's defaults are 100 ms / 256 KiB).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("ailurus.raft")


class GroupCommit:
    IDLE_WAIT_S = 1.0  # nothing pending: how long the loop sleeps between checks
    RETRY_DELAY_S = 0.1  # after a failed round

    def __init__(self, *, observe_fsync=None, on_fatal=None) -> None:
        self._on_fatal = on_fatal or _exit_now
        self._urgent: set = set()
        self._lazy: dict = {}  # consensus -> flushed offset when first requested
        self._wakeup = asyncio.Event()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fsync")
        self._task: asyncio.Task | None = None
        self._observe = observe_fsync
        self.rounds = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="group-commit")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self._flush_round(list(self._urgent | set(self._lazy)))
        self._pool.shutdown(wait=True)

    def request(self, group, *, urgent: bool) -> None:
        if urgent:
            self._urgent.add(group)
            self._wakeup.set()
            return
        first = group not in self._lazy
        self._lazy.setdefault(group, time.monotonic())
        if first or group.pending_flush_bytes >= group.flush_bytes_max:
            self._wakeup.set()  # re-arm the timer for this group, or flush now for bytes

    @staticmethod
    def _due_in_s(group, since: float, now: float) -> float:
        if group.pending_flush_bytes >= group.flush_bytes_max:
            return 0.0
        return max(since + group.flush_delay_ms / 1000 - now, 0.0)

    def forget(self, group) -> None:
        self._urgent.discard(group)
        self._lazy.pop(group, None)

    async def _run(self) -> None:
        while True:
            now = time.monotonic()
            waits = [self._due_in_s(g, since, now) for g, since in self._lazy.items()]
            timeout_s = min(waits, default=self.IDLE_WAIT_S)
            if timeout_s > 0 and not self._urgent:
                try:
                    await asyncio.wait_for(self._wakeup.wait(), timeout=timeout_s)
                except TimeoutError:
                    pass
            self._wakeup.clear()
            now = time.monotonic()
            due = set(self._urgent)
            due.update(g for g, since in self._lazy.items() if self._due_in_s(g, since, now) == 0)
            if not due:
                continue
            try:
                await self._flush_round(list(due))
            except (
                Exception
            ):  # the flusher must outlive any one round, or every acks=all write hangs
                log.exception("flush round failed; retrying")
                self._urgent.update(due)
                await asyncio.sleep(self.RETRY_DELAY_S)

    async def _flush_round(self, groups: list) -> None:
        tickets = []
        for group in groups:
            self._urgent.discard(group)
            self._lazy.pop(group, None)
            ticket = group.log.flush_begin()
            if ticket is not None:
                tickets.append((group, ticket))
        if not tickets:
            for group in groups:
                group.on_flushed()
            return
        started = time.perf_counter()
        work = [(group.log.flush_run, ticket) for group, ticket in tickets]
        try:
            await asyncio.get_running_loop().run_in_executor(self._pool, _run_tickets, work)
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
        for group, ticket in tickets:
            group.log.flush_end(ticket)
            group.on_flushed()


def _exit_now(reason: str) -> None:
    log.critical("%s: stopping the broker without a clean shutdown", reason)
    logging.shutdown()
    os._exit(70)


def _run_tickets(work: list) -> None:
    for flush_run, ticket in work:
        flush_run(ticket)
