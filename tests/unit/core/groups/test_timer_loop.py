"""The coordinator's timer loop outlives a failing timer action."""

from __future__ import annotations

import asyncio

import pytest

from core.common.clock import ManualClock
from core.groups.manager import GroupManager
from core.groups.memory_journal import MemoryJournal
from tests.support.admin import running_app
from tests.support.groups import TEST_CONFIG


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


async def test_timer_loop_keeps_running_after_an_action_fails(tmp_path, caplog):
    """The coordinator of a real broker (in this process, on a temporary directory)."""
    async with running_app(tmp_path / "data") as app:
        clock, timers = app.clock, app.groups.manager.timers
        [task] = [t for t in asyncio.all_tasks() if t.get_name() == "groups-timers"]
        fired = asyncio.Event()

        def boom():
            raise RuntimeError("a bug in one group's timer")

        timers.schedule("bad", clock.monotonic_ms(), boom)
        await asyncio.sleep(0.1)
        assert not task.done(), task.exception() if task.done() else None
        assert "a group coordinator timer failed" in caplog.text  # the failing action ran
        timers.schedule("later", clock.monotonic_ms() + 1, fired.set)  # e.g. a session expiry
        await asyncio.wait_for(fired.wait(), timeout=5)
        assert not task.done()
