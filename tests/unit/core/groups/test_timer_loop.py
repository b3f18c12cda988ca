"""The coordinator's timer loop outlives a failing timer action."""

from __future__ import annotations

import asyncio

import pytest

from core.common.clock import ManualClock
from core.groups.coordinator import GroupCoordinator
from core.groups.manager import GroupManager
from core.groups.memory_journal import MemoryJournal
from tests.support.groups import TEST_CONFIG


class _NoPartitions:
    def get(self, _topic, _partition):
        return None


def _coordinator(clock: ManualClock) -> GroupCoordinator:
    coordinator = GroupCoordinator.__new__(
        GroupCoordinator
    )  # no topic, no partitions: only the loop
    coordinator.clock = clock
    coordinator._partitions = _NoPartitions()
    coordinator.manager = GroupManager(clock=clock, config=TEST_CONFIG, journal=MemoryJournal())
    return coordinator


def test_tick_runs_every_due_action_then_reports_the_failure():
    clock = ManualClock()
    mgr = GroupManager(clock=clock, config=TEST_CONFIG, journal=MemoryJournal())
    fired = []

    def boom():
        raise RuntimeError("a bug in one group's timer")

    mgr.timers.schedule("bad", clock.monotonic_ms(), boom)
    mgr.timers.schedule("good", clock.monotonic_ms(), lambda: fired.append("good"))
    with pytest.raises(RuntimeError):
        mgr.tick()
    assert fired == ["good"]  # popped together with the failing one: still run


async def test_timer_loop_keeps_running_after_an_action_fails():
    clock = ManualClock()
    coordinator = _coordinator(clock)
    timers = coordinator.manager.timers
    fired = asyncio.Event()

    def boom():
        raise RuntimeError("a bug in one group's timer")

    timers.schedule("bad", clock.monotonic_ms(), boom)
    task = asyncio.create_task(coordinator._run_timers())
    try:
        await asyncio.sleep(0.1)
        assert not task.done(), task.exception() if task.done() else None
        clock.advance(1_000)
        timers.schedule("later", clock.monotonic_ms(), fired.set)  # e.g. a session expiry
        await asyncio.wait_for(fired.wait(), timeout=5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
