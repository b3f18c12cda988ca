"""The audit queue: events waiting for the next drain, bounded in bytes.

Redpanda's per-shard queue (`audit_queue_max_buffer_size_per_shard` bytes): an event identical
to one already queued only increments that one's count (no bytes); a new event that does not
fit is refused, and the caller then fails what it was auditing. `take` empties the queue in
arrival order and frees its bytes.
"""

from __future__ import annotations

from core.security.audit.ocsf import Event, now_ms


class AuditQueue:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used_bytes = 0
        self._events: dict[str, Event] = {}  # by key, in arrival order
        self.refused = 0  # events refused for want of room, since the start

    def __len__(self) -> int:
        return len(self._events)

    def push(self, event: Event) -> bool:
        """Queue `event` (or count it on its identical queued one); False when it does not fit."""
        queued = self._events.get(event.key)
        if queued is not None:
            queued.increment(now_ms())
            return True
        if self.used_bytes + event.size_bytes > self.max_bytes:
            self.refused += 1
            return False
        self._events[event.key] = event
        self.used_bytes += event.size_bytes
        return True

    def fits(self, event: Event) -> bool:
        """Whether `push(event)` would succeed now."""
        return event.key in self._events or self.used_bytes + event.size_bytes <= self.max_bytes

    def take(self) -> list[Event]:
        events = list(self._events.values())
        self._events.clear()
        self.used_bytes = 0
        return events
