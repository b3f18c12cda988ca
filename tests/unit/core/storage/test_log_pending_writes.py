"""DiskLog.append_replicated: a follower's batches are placed at once and written by the flush
worker (core.storage.pending_writes); reads, cuts, later appends and close see them in order."""

from __future__ import annotations

import os
import threading

from core.model.batch import split_batches
from core.storage.log import DiskLog


def file_bytes(log: DiskLog) -> int:
    return sum(
        os.path.getsize(log.directory / name)
        for name in os.listdir(log.directory)
        if name.endswith(".log")
    )


def offsets_in(data: bytes) -> list[tuple[int, int]]:
    return [(h.base_offset, h.last_offset) for _, h in split_batches(memoryview(data))]


def all_offsets(log: DiskLog, upper: int) -> list[tuple[int, int]]:
    """Every batch below `upper` (a read returns one segment's batches)."""
    got: list[tuple[int, int]] = []
    while (offset := got[-1][1] + 1 if got else 0) < upper:
        got += offsets_in(log.read_bytes(offset, 1 << 20, upper))
    return got


def test_bytes_reach_the_file_in_the_flush_worker(open_log, make_batch) -> None:
    log = open_log()
    a, b = make_batch(records=3, tag=1), make_batch(records=2, tag=2)
    assert log.append_replicated(a, term=1) == (0, 2)
    assert log.append_replicated(b, term=1) == (3, 4)
    assert (log.next_offset, log.size_bytes, file_bytes(log)) == (5, len(a) + len(b), 0)
    ticket = log.flush_begin()
    assert ticket is not None and ticket.target_offset == 5
    worker = threading.Thread(target=DiskLog.flush_run, args=(ticket,))
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert file_bytes(log) == len(a) + len(b)
    log.flush_end(ticket)
    assert log.flushed_offset == 5
    assert offsets_in(log.read_bytes(0, 1 << 20, 5)) == [(0, 2), (3, 4)]


def test_a_read_below_the_unwritten_batches_leaves_them_queued(open_log, make_batch) -> None:
    log = open_log()
    first = make_batch(records=2, tag=1)
    log.append(first, term=1)  # written at once (a leader's append)
    log.append_replicated(make_batch(records=3, tag=2), term=1)  # offsets 2..4, queued
    found = log.read(0, 1 << 20, 2)  # up to the unwritten batch: served from the file
    assert found is not None and (found.first_offset, found.last_offset) == (0, 1)
    assert found.length == len(first) and file_bytes(log) == len(first)
    data = log.read_bytes(0, 1 << 20, 5)  # reaching it: written first, then read
    assert offsets_in(data) == [(0, 1), (2, 4)]
    assert file_bytes(log) == log.size_bytes


def test_truncate_and_later_appends_keep_file_order(open_log, make_batch) -> None:
    log = open_log()
    for tag in range(3):
        log.append_replicated(make_batch(records=2, tag=tag), term=1)  # 0-1, 2-3, 4-5
    log.truncate(4)  # a divergent suffix: the queue is written, then cut
    assert (log.next_offset, log.flushed_offset) == (4, 4)
    log.append_replicated(make_batch(records=1, tag=7), term=2)  # 4
    log.append(make_batch(records=1, tag=8), term=2)  # 5, after the queued one
    assert all_offsets(log, 6) == [(0, 1), (2, 3), (4, 4), (5, 5)]


def test_rolled_segments_and_close_keep_every_batch(open_log, log_dir, clock, make_batch) -> None:
    log = open_log(segment_bytes=400)
    sizes = []
    for tag in range(6):
        batch = make_batch(records=1, value_bytes=150, tag=tag)
        sizes.append(len(batch))
        log.append_replicated(batch, term=1)
    assert log.segment_count > 2 and file_bytes(log) == 0
    log.close()  # flushes: the queue is written first
    reopened = DiskLog.open(log_dir, log.config, clock)
    try:
        assert reopened.next_offset == 6 and file_bytes(reopened) == sum(sizes)
        assert all_offsets(reopened, 6) == [(i, i) for i in range(6)]
    finally:
        reopened.close()
