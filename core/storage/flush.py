"""Group-commit flush tickets: capture on the loop thread, fsync anywhere, settle on the loop.

A ticket records the log end offset at capture time and the write fds that hold bytes
not yet made durable. Its fds stay open (the segments are pinned) until the ticket is
settled, so a worker thread can fdatasync them while the loop keeps appending.
Tickets settle in capture order: the flushed offset only moves to a ticket's target
when every earlier ticket has finished too, since an earlier ticket may be the one
syncing a rolled segment that a later ticket did not capture.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field

from core.storage.fs import fsync_directory
from core.storage.segment import Segment


@dataclass(eq=False)
class FlushTicket:
    target_offset: int  # the log end offset when captured
    fds: tuple[int, ...]  # write fds to fdatasync
    directory: str | None  # fsync this directory too (segments were created)
    generation: int  # truncations since open: a ticket from before one moves nothing
    segments: tuple[Segment, ...] = field(repr=False, default=())
    done: bool = False


def run_ticket(ticket: FlushTicket) -> None:
    """fdatasync every fd of the ticket, then the directory. Safe in any thread."""
    assert not ticket.done, "ticket already settled"
    for fd in ticket.fds:
        os.fdatasync(fd)
    if ticket.directory is not None:
        fsync_directory(ticket.directory)


class FlushQueue:
    """Outstanding tickets in capture order, and the segments they pin."""

    def __init__(self) -> None:
        self.outstanding: deque[FlushTicket] = deque()
        self.generation = 0

    def capture(
        self, target_offset: int, segments: list[Segment], directory: str | None
    ) -> FlushTicket:
        for segment in segments:
            assert segment.write_fd is not None and not segment.deleted
            segment.pins += 1
            segment.unflushed = False
        fds = tuple(segment.write_fd for segment in segments)  # type: ignore[misc]
        ticket = FlushTicket(target_offset, fds, directory, self.generation, tuple(segments))
        self.outstanding.append(ticket)
        return ticket

    def settle(self, ticket: FlushTicket) -> int | None:
        """Mark `ticket` done, unpin its segments; the highest target now durable, if any."""
        assert not ticket.done and ticket in self.outstanding, "unknown or settled ticket"
        ticket.done = True
        for segment in ticket.segments:
            assert segment.pins > 0
            segment.pins -= 1
        durable = -1
        for _ in range(len(self.outstanding)):
            if not self.outstanding[0].done:
                break
            head = self.outstanding.popleft()
            if head.generation == self.generation:
                durable = max(durable, head.target_offset)
        return durable if durable >= 0 else None

    def invalidate(self) -> None:
        """After a truncation: tickets captured before it must not move the flushed offset."""
        self.generation += 1
