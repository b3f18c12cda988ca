"""Retention policy: which closed segments, oldest first, may be deleted now.

A segment goes when its max timestamp is older than now_ms - retention_ms, or, oldest
first, while the log is larger than retention_bytes. The active (last) segment never
goes, nor any segment holding an offset >= max_collectible_offset (state machines and
the high watermark need it). Only a prefix is deleted: the log never gets holes.
"""

from __future__ import annotations

import collections
from typing import Protocol

from core.storage.segment import Segment


class RetentionLimits(Protocol):
    @property
    def retention_ms(self) -> int | None: ...

    @property
    def retention_bytes(self) -> int | None: ...


def collectible_prefix(
    segments: list[Segment],
    limits: RetentionLimits,
    log_bytes: int,
    now_ms: int,
    max_collectible_offset: int | None,
) -> list[Segment]:
    doomed: list[Segment] = []
    remaining_bytes = log_bytes
    for segment in segments[:-1]:  # never the active segment
        if max_collectible_offset is not None and segment.next_offset > max_collectible_offset:
            break
        too_old = (
            limits.retention_ms is not None
            and segment.max_timestamp_ms < now_ms - limits.retention_ms
        )
        too_big = limits.retention_bytes is not None and remaining_bytes > limits.retention_bytes
        if not (too_old or too_big):
            break
        doomed.append(segment)
        remaining_bytes -= segment.size_bytes
    assert len(doomed) < max(len(segments), 1)
    return doomed


class Graveyard:
    """Deleted segments whose read fd stays open `delay_ms` longer (Kafka's
    file.delete.delay.ms): a fetch may still be sending a ReadSlice of it by sendfile,
    and closing the fd early could let the number be reused for another file."""

    def __init__(self) -> None:
        self._buried: collections.deque[tuple[int, Segment]] = collections.deque()

    def __len__(self) -> int:
        return len(self._buried)

    def bury(self, segment: Segment, now_ms: int, delay_ms: int) -> None:
        assert segment.deleted
        self._buried.append((now_ms + delay_ms, segment))

    def reap(self, now_ms: int, everything: bool = False) -> None:
        """Close the fds of segments past their delay that no flush ticket holds."""
        kept: collections.deque[tuple[int, Segment]] = collections.deque()
        for _ in range(len(self._buried)):
            deadline_ms, segment = self._buried.popleft()
            if (everything or deadline_ms <= now_ms) and segment.pins == 0:
                segment.close()
            else:
                kept.append((deadline_ms, segment))
        self._buried = kept
