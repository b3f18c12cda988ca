"""A leader's acks=all appends take the follower's deferred path (DiskLog.append_replicated:
placed at once, written by the flush worker just before its fdatasync). Every reader of the
leader's recent data sees what an inline write would have shown it: the sendfile fetch slice,
read_bytes (the Raft send path on a cache miss), headers for producer-state/txn replay,
time queries, terms, sizes, compaction; truncation, segment rolls, relaxed appends after
deferred ones and a clean close keep every byte in order. Real files, real fsync."""

from __future__ import annotations

import asyncio
import os
import threading

from core.common.clock import ManualClock
from core.model.batch import split_batches
from core.model.control import Marker, build_marker_batch
from core.model.records import Record, build_batch
from core.raft.consensus import LEADER_ACK, QUORUM_ACK, Consensus
from core.storage.compaction import compact
from core.storage.fs import IOV_MAX
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig

from .conftest import T0_MS
from .test_log_pending_writes import all_offsets, file_bytes, offsets_in

WORKER_JOIN_S = 10


def leader_append(log: DiskLog, batch: bytearray, term: int = 1) -> tuple[int, int]:
    """What Consensus.replicate calls for acks=all (the deferred path)."""
    return log.append_replicated(batch, term)


def flush_in_thread(log: DiskLog) -> None:
    """One group-commit round: capture on this thread, write + fdatasync on a worker."""
    ticket = log.flush_begin()
    assert ticket is not None
    worker = threading.Thread(target=DiskLog.flush_run, args=(ticket,))
    worker.start()
    worker.join(timeout=WORKER_JOIN_S)
    assert not worker.is_alive()
    log.flush_end(ticket)


def sendfile_bytes(log: DiskLog, offset: int, upper: int, tmp_path) -> bytes:
    """What the Fetch handler sends: the ReadSlice's fd range, by sendfile."""
    found = log.read(offset, 1 << 20, upper)
    if found is None:
        return b""
    out = tmp_path / f"sent-{offset}-{upper}"
    with open(out, "wb") as sink:
        sent = os.sendfile(sink.fileno(), found.fd, found.position, found.length)
    assert sent == found.length
    return out.read_bytes()


def test_every_read_path_sees_the_unwritten_batches(open_log, make_batch, tmp_path) -> None:
    log = open_log()
    batches = [make_batch(records=2, tag=t, timestamp_ms=T0_MS + 10 * t) for t in range(3)]
    marker = build_marker_batch(7, 0, Marker(commit=True, coordinator_epoch=3), T0_MS + 99)
    for batch in [*batches, marker]:
        leader_append(log, batch)
    expected = b"".join(bytes(b) for b in [*batches, marker])
    assert (log.next_offset, log.size_bytes, file_bytes(log)) == (7, len(expected), 0)
    assert (log.segment_terms(), log.term_at(6), log.flushed_offset) == ([(1, 0)], 1, 0)
    assert sendfile_bytes(log, 0, 7, tmp_path) == expected  # Fetch up to the log end drains
    assert file_bytes(log) == len(expected) and len(log._pending) == 0
    assert log.read_bytes(2, 1 << 20, 7) == expected[len(batches[0]) :]  # Raft send path
    headers = list(log.batch_headers(0, 7))  # producer-state / txn replay
    assert [(h.base_offset, h.last_offset) for h, _ in headers] == [(0, 1), (2, 3), (4, 5), (6, 6)]
    assert [m for _, m in headers] == [None, None, None, Marker(True, 3)]
    assert log.timequery(T0_MS + 20, 7) == 4
    assert log.max_timestamp_query(7) == (6, T0_MS + 99)


def test_each_query_drains_what_it_needs(open_log, make_batch) -> None:
    """Each query alone, on a fresh queue: header reads, replay, time and max-time queries."""
    log = open_log()
    for tag in range(2):
        leader_append(log, make_batch(records=1, tag=tag, timestamp_ms=T0_MS + tag))
    found = log.read_header(1, 2)
    assert found is not None and found[0].first_offset == 1
    leader_append(log, make_batch(records=1, tag=2, timestamp_ms=T0_MS + 2))
    assert [h.base_offset for h, _ in log.batch_headers(0, 3)] == [0, 1, 2]
    leader_append(log, make_batch(records=1, tag=3, timestamp_ms=T0_MS + 3))
    assert log.timequery(T0_MS + 3, 4) == 3
    leader_append(log, make_batch(records=1, tag=4, timestamp_ms=T0_MS + 50))
    assert log.max_timestamp_query(5) == (4, T0_MS + 50)
    assert len(log._pending) == 0 and file_bytes(log) == log.size_bytes


def test_large_batches_replay_from_their_headers(open_log, make_batch) -> None:
    log = open_log()
    big = make_batch(records=1, value_bytes=80 * 1024, tag=1)  # past REPLAY_LARGE_BATCH_BYTES
    leader_append(log, big)
    leader_append(log, build_marker_batch(9, 1, Marker(False, 2), T0_MS))
    got = [(h.base_offset, m) for h, m in log.batch_headers(0, log.next_offset)]
    assert got == [(0, None), (1, Marker(False, 2))]


def test_readers_below_the_commit_point_leave_the_queue_to_the_worker(
    open_log, make_batch, tmp_path
) -> None:
    """A consumer's upper bound is the high watermark: acks=all data becomes visible after its
    flush, so fetching what is visible never writes on the loop."""
    log = open_log()
    first = make_batch(records=2, tag=1)
    leader_append(log, first)
    flush_in_thread(log)  # offsets 0-1 flushed: the high watermark may reach 2
    leader_append(log, make_batch(records=3, tag=2))  # 2-4 queued for the next round
    assert sendfile_bytes(log, 0, 2, tmp_path) == bytes(first)
    assert log.read(2, 1 << 20, 2) is None  # a long poll at the watermark: nothing yet
    assert len(log._pending) == 1 and file_bytes(log) == len(first)
    flush_in_thread(log)
    assert (log.flushed_offset, file_bytes(log), len(log._pending)) == (5, log.size_bytes, 0)


def test_a_relaxed_append_after_deferred_ones_keeps_file_order(open_log, make_batch) -> None:
    log = open_log()
    leader_append(log, make_batch(records=2, tag=1))  # acks=all: queued
    log.append(make_batch(records=1, tag=2), term=1)  # acks=1: writes the queue, then itself
    assert len(log._pending) == 0 and file_bytes(log) == log.size_bytes
    leader_append(log, make_batch(records=1, tag=3))
    assert all_offsets(log, 4) == [(0, 1), (2, 2), (3, 3)]


def test_truncation_with_pending_bytes(open_log, make_batch) -> None:
    """A leader stepping down cuts its uncommitted tail: queued batches are written, then cut;
    a flush ticket captured before the cut moves nothing."""
    log = open_log()
    for tag in range(2):
        leader_append(log, make_batch(records=2, tag=tag))  # 0-1, 2-3
    flush_in_thread(log)
    kept = log.size_bytes
    for tag in range(2, 5):
        leader_append(log, make_batch(records=2, tag=tag))  # 4-5, 6-7, 8-9 queued
    stale = log.flush_begin()
    assert stale is not None and stale.target_offset == 10
    log.truncate(4)
    assert (log.next_offset, log.flushed_offset, log.size_bytes) == (4, 4, kept)
    assert file_bytes(log) == kept and len(log._pending) == 0
    DiskLog.flush_run(stale)
    log.flush_end(stale)
    assert log.flushed_offset == 4, "a ticket from before the cut moves nothing"
    leader_append(log, make_batch(records=1, tag=9), term=2)  # the new leader's entry
    flush_in_thread(log)
    assert all_offsets(log, 5) == [(0, 1), (2, 3), (4, 4)] and log.flushed_offset == 5


def test_truncation_inside_the_written_part_keeps_later_queue_order(open_log, make_batch) -> None:
    log = open_log()
    leader_append(log, make_batch(records=2, tag=0))
    flush_in_thread(log)
    leader_append(log, make_batch(records=2, tag=1))  # 2-3, queued
    log.truncate(2)
    assert (log.next_offset, file_bytes(log), log.size_bytes) == (2, log.size_bytes, log.size_bytes)
    leader_append(log, make_batch(records=3, tag=2), term=2)
    assert all_offsets(log, 5) == [(0, 1), (2, 4)]


def test_segment_rolls_with_pending_bytes(open_log, make_batch) -> None:
    log = open_log(segment_bytes=400)
    sent = []
    for tag in range(7):
        batch = make_batch(records=1, value_bytes=150, tag=tag)
        leader_append(log, batch)
        sent.append(bytes(batch))
    assert log.segment_count >= 3 and file_bytes(log) == 0
    rolled = log._segments[:-1]
    assert all(s.write_fd is not None for s in rolled), "kept open for the queued writes"
    flush_in_thread(log)
    assert log.flushed_offset == 7 and file_bytes(log) == sum(map(len, sent))
    assert all(s.write_fd is None for s in rolled), "released once the round settled"
    assert all_offsets(log, 7) == [(i, i) for i in range(7)]
    got = b"".join(log.read_bytes(s.base_offset, 1 << 20, 7) for s in log._segments)
    assert got == b"".join(sent)


def test_a_term_change_rolls_while_the_old_term_is_queued(open_log, make_batch) -> None:
    log = open_log()
    leader_append(log, make_batch(records=2, tag=0), term=1)
    leader_append(log, make_batch(records=2, tag=1), term=3)  # a new leader's term start
    assert log.segment_terms() == [(1, 0), (3, 2)] and file_bytes(log) == 0
    data = log.read_bytes(0, 1 << 20, 4)  # reaches the queue: written first
    assert offsets_in(data) == [(0, 1)]
    assert [h.leader_epoch for _, h in split_batches(memoryview(data))] == [1]
    assert log.term_at(3) == 3 and all_offsets(log, 4) == [(0, 1), (2, 3)]


def test_compaction_waits_for_the_queued_segments(open_log, make_batch) -> None:
    log = open_log(segment_bytes=400)
    for tag in range(8):
        leader_append(log, make_batch(records=1, value_bytes=150, tag=tag % 2))
    assert log.compactible_segments(log.next_offset) == []  # queued: unflushed or pinned
    ticket = log.flush_begin()
    assert ticket is not None and log.compactible_segments(log.next_offset) == []  # pinned
    DiskLog.flush_run(ticket)
    log.flush_end(ticket)
    assert log.compactible_segments(log.next_offset), "flushed and written: compactible"
    stats = compact(log, now_ms=T0_MS, max_collectible_offset=8, delete_retention_ms=0)
    assert not stats.skipped and stats.segments_rewritten >= 1
    assert all_offsets(log, 8)[-1][1] == 7


def test_retention_removes_only_written_segments(open_log, make_batch, clock) -> None:
    log = open_log(segment_bytes=400, retention_bytes=500)
    for tag in range(6):
        leader_append(log, make_batch(records=1, value_bytes=150, tag=tag))
    removed = log.gc(clock.now_ms())
    assert removed > 0 and len(log._pending) == 0, "gc writes the queue before deleting"
    assert log.start_offset > 0 and file_bytes(log) == log.size_bytes
    assert all_offsets_from(log, log.start_offset, 6)


def all_offsets_from(log: DiskLog, start: int, upper: int) -> list[tuple[int, int]]:
    got: list[tuple[int, int]] = []
    offset = start
    while offset < upper:
        got += offsets_in(log.read_bytes(offset, 1 << 20, upper))
        offset = got[-1][1] + 1
    return got


def test_clean_close_writes_and_syncs_the_queue(open_log, make_batch, log_dir, clock) -> None:
    log = open_log(segment_bytes=400)
    for tag in range(5):
        leader_append(log, make_batch(records=1, value_bytes=150, tag=tag))
    size = log.size_bytes
    log.close()
    reopened = DiskLog.open(log_dir, log.config, clock)
    try:
        assert (reopened.next_offset, reopened.flushed_offset, file_bytes(reopened)) == (5, 5, size)
        assert all_offsets(reopened, 5) == [(i, i) for i in range(5)]
    finally:
        reopened.close()


def test_close_under_the_owners_record_writes_the_queue(log_dir, clock, make_batch) -> None:
    """Brokers record clean shutdowns once for all logs: close writes without syncing."""
    log = DiskLog.open(log_dir, LogConfig(), clock, clean=True)
    leader_append(log, make_batch(records=3, tag=1))
    log.close()
    assert file_bytes(log) == log.size_bytes
    reopened = DiskLog.open(log_dir, LogConfig(), clock, clean=True)
    try:
        assert reopened.next_offset == 3 and all_offsets(reopened, 3) == [(0, 2)]
    finally:
        reopened.close()


def test_more_queued_batches_than_one_writev_takes(open_log, make_batch) -> None:
    """The worker writes a segment's run of batches with one writev of at most IOV_MAX."""
    log = open_log()
    count = IOV_MAX + 77
    for tag in range(count):
        leader_append(log, make_batch(records=1, value_bytes=10, tag=tag))
    flush_in_thread(log)
    assert (log.flushed_offset, file_bytes(log), len(log._pending)) == (count, log.size_bytes, 0)
    assert all_offsets(log, count) == [(i, i) for i in range(count)]


async def test_a_leaders_mixed_appends_through_consensus_and_group_commit(tmp_path) -> None:
    """Consensus.replicate with large and small acks=all batches and acks=1 ones, through real
    group commit: every acks=all append is acknowledged after a round that wrote and synced
    it, and the log reads back every batch in order."""
    flusher = GroupCommit()
    log = DiskLog.open(tmp_path / "g", LogConfig(segment_bytes=256 * 1024), ManualClock())
    group = Consensus(0, 0, log, flusher)
    group.start()
    flusher.start()
    try:
        sizes = [40 * 1024, 100, 70 * 1024, 3000, 50 * 1024] * 3
        appended = []
        for i, size in enumerate(sizes):
            batch = build_batch([Record(b"k%d" % i, bytes([i]) * size)])
            acks = LEADER_ACK if i % 4 == 3 else QUORUM_ACK
            result = group.replicate(batch, acks)
            appended.append((result, bytes(batch)))
        await asyncio.wait_for(
            asyncio.gather(*(r.done for r, _ in appended if r.done is not None)), WORKER_JOIN_S
        )
        assert log.flushed_offset >= max(r.last_offset for r, _ in appended if r.done) + 1
        end = log.next_offset
        assert end == len(sizes) and all_offsets(log, end) == [(i, i) for i in range(end)]
        got = b"".join(log.read_bytes(s.base_offset, 1 << 20, end) for s in log._segments)
        assert got == b"".join(data for _, data in appended)
    finally:
        await flusher.stop()
        group.close()
        log.close()
