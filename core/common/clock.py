"""Clock seam: real time for the broker, a manual clock for deterministic tests."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Wall-clock milliseconds since the epoch (timestamps, retention)."""

    def monotonic_ms(self) -> int:
        """Monotonic milliseconds (timeouts, session expiry)."""


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def monotonic_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000


class ManualClock:
    """A clock that moves only when a test advances it."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._wall_ms = start_ms
        self._mono_ms = 0

    def now_ms(self) -> int:
        return self._wall_ms

    def monotonic_ms(self) -> int:
        return self._mono_ms

    def advance(self, delta_ms: int) -> None:
        assert delta_ms >= 0, "time does not run backwards"
        self._wall_ms += delta_ms
        self._mono_ms += delta_ms
