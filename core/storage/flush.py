"""Flushing, owned by storage: flush tickets, the flush policy, and flush targets.

Group commit (core.storage.group_commit) batches the fdatasyncs of every log; a log
takes part through a FlushTarget, which holds its policy (topic flush.ms, flush.bytes,
write.caching), the bytes appended since its last full flush, and the one callback by
which its owner (consensus) learns the new flushed offset.

Group-commit flush tickets: capture on the loop thread, fsync anywhere, settle on the loop.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    drain: Callable[[], None] | None = field(repr=False, default=None)  # pending writes first


def run_ticket(ticket: FlushTicket) -> None:
    """Write the log's pending batches (core.storage.pending_writes), fdatasync every fd of
    the ticket, then the directory. Safe in any thread."""
    assert not ticket.done, "ticket already settled"
    if ticket.drain is not None:
        ticket.drain()
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
        self,
        target_offset: int,
        segments: list[Segment],
        directory: str | None,
        drain: Callable[[], None] | None = None,
    ) -> FlushTicket:
        for segment in segments:
            assert segment.write_fd is not None and not segment.deleted
            segment.pins += 1
            segment.unflushed = False
        fds = tuple(segment.write_fd for segment in segments if segment.write_fd is not None)
        ticket = FlushTicket(
            target_offset, fds, directory, self.generation, tuple(segments), drain=drain
        )
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


@dataclass(slots=True)
class FlushPolicy:
    """When relaxed writes are flushed (Redpanda's defaults: 100 ms / 256 KiB) and whether
    acks=all waits for a flush at all (write caching: a majority received it)."""

    flush_ms: int = 100
    flush_bytes: int = 256 * 1024
    write_caching: bool = False


class FlushTarget:
    """One log's part in group commit."""

    __slots__ = ("log", "policy", "pending_bytes", "on_flushed")

    def __init__(
        self, log: Any, on_flushed: Callable[[int], None], policy: FlushPolicy | None = None
    ) -> None:
        self.log = log  # flush_begin / flush_run / flush_end, flushed_offset, next_offset
        self.policy = policy or FlushPolicy()
        self.pending_bytes = 0  # appended since the log was last fully flushed
        self.on_flushed = on_flushed  # (flushed offset) -> None, on the loop thread

    def appended(self, nbytes: int) -> None:
        self.pending_bytes += nbytes

    def settle(self) -> None:
        """After a round: tell the owner where the log's flushed offset now stands."""
        flushed = self.log.flushed_offset
        if flushed >= self.log.next_offset:
            self.pending_bytes = 0
        self.on_flushed(flushed)
