"""Replicas waiting to be opened after the listeners start (issue 18).

As Redpanda recovers partitions in the background, a restart opens only the internal topics'
replicas before it serves; every other replica hosted here waits in an OpenQueue and the
partition manager opens it in bounded batches between turns of the event loop
(PartitionManager.open_queued). Until then the partition has no leader: Metadata answers
LEADER_NOT_AVAILABLE and produce/fetch NOT_LEADER_OR_FOLLOWER, both retriable, and nothing
reads or appends to its log. A request for a queued partition moves it to the front
(`hurry`), so what clients are waiting for opens first.
"""

from __future__ import annotations

from collections import deque

Key = tuple[str, int]  # (topic, partition index)


class OpenQueue:
    def __init__(self, keys: list[Key]) -> None:
        self._pending: deque[Key] = deque(keys)
        self._urgent: deque[Key] = deque()
        self._hurried: set[Key] = set()
        self._queued: set[Key] = set(keys)  # neither opened nor dropped yet

    def __len__(self) -> int:
        return len(self._queued)

    def hurry(self, key: Key) -> None:
        """Open `key` next (a client asked for it); a key not queued is ignored."""
        if key in self._queued and key not in self._hurried:
            self._hurried.add(key)
            self._urgent.append(key)

    def pop(self) -> Key | None:
        """The next key to open, urgent ones first (None: nothing left)."""
        while self._urgent or self._pending:
            key = self._urgent.popleft() if self._urgent else self._pending.popleft()
            if key in self._queued:
                self._queued.discard(key)
                return key
        return None
