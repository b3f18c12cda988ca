"""Polling with a deadline, for tests that wait on another process."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WAIT_S = 60.0


def wait_for(
    predicate: Callable[[], T], what: str, timeout_s: float = WAIT_S, interval_s: float = 0.1
) -> T:
    """Call `predicate` until it returns a truthy value (returned); AssertionError naming `what`
    after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
