"""Deadline timers for the coordinator core, driven by whoever calls `pop_due`.

Each timer has a key; scheduling a key again replaces its previous deadline and
cancelling forgets it. Stale heap entries are skipped lazily. Ties on the deadline
fire in scheduling order, so a run is reproducible.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable

TimerAction = Callable[[], None]

TIMERS_MAX = 1_000_000  # live timers; a bound, not an expectation


class TimerQueue:
    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Hashable]] = []
        self._live: dict[Hashable, tuple[int, TimerAction]] = {}  # key -> (seq, action)
        self._seq = 0

    def __len__(self) -> int:
        return len(self._live)

    def schedule(self, key: Hashable, deadline_ms: int, action: TimerAction) -> None:
        assert len(self._live) < TIMERS_MAX or key in self._live, "timer table full"
        self._seq += 1
        self._live[key] = (self._seq, action)
        heapq.heappush(self._heap, (deadline_ms, self._seq, key))
        self._compact_if_stale()

    def cancel(self, key: Hashable) -> None:
        self._live.pop(key, None)

    def is_scheduled(self, key: Hashable) -> bool:
        return key in self._live

    def next_deadline_ms(self) -> int | None:
        self._drop_stale_head()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now_ms: int) -> list[TimerAction]:
        """Remove and return the actions of every live timer due at `now_ms`."""
        due: list[TimerAction] = []
        self._drop_stale_head()
        while self._heap and self._heap[0][0] <= now_ms:
            _, seq, key = heapq.heappop(self._heap)
            live = self._live.get(key)
            if live is not None and live[0] == seq:
                del self._live[key]
                due.append(live[1])
            self._drop_stale_head()
        return due

    def _drop_stale_head(self) -> None:
        while self._heap:
            _, seq, key = self._heap[0]
            live = self._live.get(key)
            if live is not None and live[0] == seq:
                return
            heapq.heappop(self._heap)

    def _compact_if_stale(self) -> None:
        """Rebuild the heap when stale entries dominate (heartbeats reschedule often)."""
        if len(self._heap) > 64 and len(self._heap) > 4 * len(self._live):
            self._heap = [e for e in self._heap if self._live.get(e[2], (None,))[0] == e[1]]
            heapq.heapify(self._heap)
