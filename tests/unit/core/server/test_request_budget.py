"""The in-flight request budget: lanes, clamping, order, cancellation, live capacity."""

from __future__ import annotations

import asyncio

from core.server.budget import RequestBudget, large_capacity, small_frame_max

MiB = 1024 * 1024


def budget_of(capacity: list[int]) -> RequestBudget:
    return RequestBudget(lambda: capacity[0])


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_frames_within_the_budget_go_at_once_and_release_returns_it():
    budget = budget_of([32 * MiB])
    a = budget.try_acquire(8 * MiB)
    b = budget.try_acquire(100)
    assert a is not None and b is not None
    assert budget.used_bytes == 8 * MiB + 100
    budget.release(a)
    budget.release(b)
    assert budget.used_bytes == 0


async def test_a_frame_larger_than_the_budget_is_clamped_and_proceeds_alone():
    budget = budget_of([32 * MiB])
    other = budget.try_acquire(1 * MiB)
    huge = asyncio.ensure_future(budget.acquire(500 * MiB))
    await settle()
    assert not huge.done()  # waits until what it may hold is free
    budget.release(other)
    units = await asyncio.wait_for(huge, 1)
    assert units.size == large_capacity(32 * MiB)
    budget.release(units)
    assert budget.used_bytes == 0


async def test_large_frames_wait_in_order_and_never_take_the_small_lane():
    capacity = 32 * MiB
    budget = budget_of([capacity])
    held = [budget.try_acquire(8 * MiB) for _ in range(3)]
    assert all(held)
    assert budget.try_acquire(8 * MiB) is None  # 4 x 8 MiB would eat the small lane
    first = asyncio.ensure_future(budget.acquire(8 * MiB))
    second = asyncio.ensure_future(budget.acquire(5 * MiB))
    await settle()
    # Small requests still pass while large ones wait.
    small = [budget.try_acquire(small_frame_max(capacity)) for _ in range(4)]
    assert all(small)
    assert not first.done() and not second.done()
    for units in small:
        budget.release(units)
    budget.release(held[0])
    granted = await asyncio.wait_for(first, 1)
    await settle()
    assert not second.done()  # served in order: 8 + 8 + 8 + 5 > 28 MiB
    for units in (held[1], held[2], granted):
        budget.release(units)
    budget.release(await asyncio.wait_for(second, 1))
    assert budget.used_bytes == 0 and budget.waiting == 0


async def test_small_frames_wait_when_the_whole_budget_is_taken():
    budget = budget_of([2 * MiB])
    fill = [budget.try_acquire(small_frame_max(2 * MiB)) for _ in range(64)]
    assert all(fill) and budget.used_bytes == 2 * MiB
    waiter = asyncio.ensure_future(budget.acquire(10))
    await settle()
    assert not waiter.done()
    budget.release(fill[0])
    assert (await asyncio.wait_for(waiter, 1)).size == 10


async def test_a_cancelled_waiter_lets_the_next_one_through():
    budget = budget_of([32 * MiB])
    held = budget.try_acquire(20 * MiB)
    blocked = asyncio.ensure_future(budget.acquire(20 * MiB))
    behind = asyncio.ensure_future(budget.acquire(6 * MiB))
    await settle()
    assert not behind.done()  # in line behind the 20 MiB frame
    blocked.cancel()
    units = await asyncio.wait_for(behind, 1)
    assert units.size == 6 * MiB
    budget.release(units)
    budget.release(held)
    assert budget.used_bytes == 0 and budget.waiting == 0


async def test_a_grown_capacity_applies_on_wake():
    capacity = [8 * MiB]
    budget = budget_of(capacity)
    held = budget.try_acquire(7 * MiB)
    waiter = asyncio.ensure_future(budget.acquire(7 * MiB))
    await settle()
    assert not waiter.done()
    capacity[0] = 64 * MiB
    budget.wake()
    budget.release(await asyncio.wait_for(waiter, 1))
    budget.release(held)
    assert budget.used_bytes == 0
