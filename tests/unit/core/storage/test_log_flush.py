"""Group-commit flushing: flush_begin / flush_run / flush_end, and the FlushTarget through
which group commit tells a log's owner its flushed offset."""

from __future__ import annotations

import os
import threading

from core.storage.flush import FlushPolicy, FlushTarget
from core.storage.log import DiskLog


def fd_target(fd: int) -> str | None:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def fd_points_to(fd: int, path) -> bool:
    """The fd is open on `path` (also once `path` is unlinked: "<path> (deleted)")."""
    target = fd_target(fd)
    return target is not None and target.startswith(str(path))


def test_flushed_offset_lags_until_flush_end(open_log, make_batch) -> None:
    log = open_log()
    assert log.flush_begin() is None  # nothing dirty
    log.append(make_batch(records=4), term=1)
    ticket = log.flush_begin()
    assert ticket is not None and ticket.target_offset == 4
    assert ticket.directory == str(log.directory)  # the first segment was created
    assert log.flush_begin() is None  # everything dirty is already captured
    worker = threading.Thread(target=DiskLog.flush_run, args=(ticket,))
    worker.start()
    log.append(make_batch(records=2), term=1)  # the loop keeps appending meanwhile
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert (log.flushed_offset, log.next_offset) == (0, 6)
    log.flush_end(ticket)
    assert log.flushed_offset == 4
    second = log.flush_begin()
    assert second.target_offset == 6 and second.directory is None
    log.flush_run(second)
    log.flush_end(second)
    assert log.flushed_offset == 6 and log.flush_begin() is None


def test_rolled_segment_fd_closes_only_after_flush_end(open_log, make_batch) -> None:
    log = open_log(segment_bytes=400)
    log.append(make_batch(value_bytes=300), term=1)
    log.append(make_batch(value_bytes=300), term=1)  # rolls to segment 1
    first_path = log.directory / "0-1-v1.log"
    ticket = log.flush_begin()
    assert len(ticket.fds) == 2
    assert any(fd_points_to(fd, first_path) for fd in ticket.fds)
    log.flush_run(ticket)
    old_fd = next(fd for fd in ticket.fds if fd_points_to(fd, first_path))
    assert fd_points_to(old_fd, first_path)  # still open while the ticket holds it
    log.flush_end(ticket)
    assert not fd_points_to(old_fd, first_path)
    assert log.flushed_offset == 2
    # the read fd of the rolled segment stays valid for fetches
    assert log.read(0, 1000, 2).fd >= 0 and log.read_bytes(0, 1000, 2)


def test_tickets_settle_in_capture_order(open_log, make_batch) -> None:
    log = open_log(segment_bytes=400)
    log.append(make_batch(value_bytes=300), term=1)
    first = log.flush_begin()
    log.append(make_batch(value_bytes=300), term=1)  # rolls: `first` alone syncs segment 0
    second = log.flush_begin()
    log.flush_run(second)
    log.flush_end(second)
    assert log.flushed_offset == 0  # segment 0 may not be durable yet
    log.flush_run(first)
    log.flush_end(first)
    assert log.flushed_offset == 2


def test_truncate_voids_older_tickets(open_log, make_batch) -> None:
    log = open_log()
    for _ in range(5):
        log.append(make_batch(), term=1)
    stale = log.flush_begin()
    log.truncate(2)
    assert (log.next_offset, log.flushed_offset) == (2, 2)
    log.append(make_batch(), term=2)
    log.append(make_batch(), term=2)
    log.flush_run(stale)
    log.flush_end(stale)
    assert log.flushed_offset == 2  # its target (5) described the old, cut log
    log.flush()
    assert log.flushed_offset == 4


def test_truncated_segment_fd_outlives_deletion_while_pinned(open_log, make_batch) -> None:
    log = open_log()
    log.append(make_batch(), term=1)
    log.append(make_batch(), term=2)
    ticket = log.flush_begin()
    doomed = log.directory / "1-2-v1.log"
    pinned = next(fd for fd in ticket.fds if fd_points_to(fd, doomed))
    log.truncate(1)
    assert not doomed.exists()
    assert fd_target(pinned) == f"{doomed} (deleted)"
    log.flush_run(ticket)  # must not hit a closed fd
    log.flush_end(ticket)
    assert not fd_points_to(pinned, doomed)
    assert log.active_term == 1 and log.flushed_offset == 1


def test_flush_target_reports_the_flushed_offset_through_its_callback(open_log, make_batch) -> None:
    log = open_log()
    heard: list[int] = []
    target = FlushTarget(log, heard.append, FlushPolicy(flush_ms=5, flush_bytes=10))
    batch = make_batch()
    log.append(batch, term=1)
    target.appended(len(batch))
    ticket = log.flush_begin()
    log.append(make_batch(), term=1)  # appended after the capture: still pending
    log.flush_run(ticket)
    log.flush_end(ticket)
    target.settle()
    assert heard == [1] and target.pending_bytes == len(batch)
    log.flush()
    target.settle()
    assert heard == [1, 2] and target.pending_bytes == 0
