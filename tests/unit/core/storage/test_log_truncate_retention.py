"""Suffix and prefix truncation, retention gc and timequery, across reopen."""

from __future__ import annotations

import os

import pytest

from core.model.batch import split_batches
from core.storage.errors import OffsetOutOfRange
from core.storage.log import START_OFFSET_KEY

from .conftest import T0_MS

HOUR_MS = 3_600_000


def fill(
    log, make_batch, count: int, term: int = 1, records: int = 2, timestamp_ms: int = T0_MS
) -> None:
    for index in range(count):
        log.append(
            make_batch(records=records, value_bytes=150, tag=index, timestamp_ms=timestamp_ms),
            term=term,
        )


def bases_on_disk(log) -> list[int]:
    return sorted(int(p.name.split("-")[0]) for p in log.directory.glob("*.log"))


def test_truncate_inside_and_across_segments_survives_reopen(open_log, make_batch) -> None:
    log = open_log(segment_bytes=1000)
    fill(log, make_batch, 10, term=1)
    fill(log, make_batch, 5, term=2)
    assert log.segment_terms()[-1] == (2, 20)
    before = log.read_bytes(0, 1 << 30, 8)
    log.truncate(12)  # a batch boundary inside a term-1 segment
    assert (log.next_offset, log.flushed_offset, log.active_term) == (12, 12, 1)
    assert all(base < 12 for base in bases_on_disk(log))
    assert log.segment_terms() == [(1, 0)]
    assert log.read(12, 100, 100) is None
    with pytest.raises(AssertionError):
        log.truncate(11)  # not a batch boundary
    assert log.append(make_batch(), term=3) == (12, 12)
    log.close()
    reopened = open_log(segment_bytes=1000)
    assert reopened.next_offset == 13 and reopened.segment_terms()[-1] == (3, 12)
    assert reopened.read_bytes(0, 1 << 30, 8) == before


def test_truncate_at_segment_base_and_to_nothing(open_log, make_batch) -> None:
    log = open_log()
    fill(log, make_batch, 2, term=1)
    fill(log, make_batch, 2, term=2)
    log.truncate(4)  # exactly the base of the term-2 segment
    assert bases_on_disk(log) == [0] and log.active_term == 1
    log.truncate(0)
    assert (log.next_offset, log.segment_count, bases_on_disk(log)) == (0, 0, [])
    assert log.append(make_batch(), term=4) == (0, 0)
    log.abandon()
    assert open_log().next_offset == 1  # an unclean reopen agrees


def test_prefix_truncate_persists_and_deletes_whole_segments(open_log, make_batch) -> None:
    log = open_log(segment_bytes=1000)
    fill(log, make_batch, 12)
    bases = bases_on_disk(log)
    log.prefix_truncate(9)
    assert log.start_offset == 9 and log.kvstore.get(START_OFFSET_KEY) == 9
    holding = max(base for base in bases if base <= 9)
    assert bases_on_disk(log) == [b for b in bases if b >= holding]
    with pytest.raises(OffsetOutOfRange):
        log.read(8, 100, 24)
    assert log.read(9, 0, 24).first_offset == 8  # the batch holding 9 comes whole
    log.prefix_truncate(5)  # never moves back
    assert log.start_offset == 9
    log.abandon()
    reopened = open_log(segment_bytes=1000)
    assert (reopened.start_offset, reopened.next_offset) == (9, 24)
    with pytest.raises(OffsetOutOfRange):
        reopened.read(8, 100, 24)


def test_prefix_truncate_beyond_log_end(open_log, make_batch) -> None:
    log = open_log()
    fill(log, make_batch, 3)
    log.prefix_truncate(100)  # e.g. a Raft snapshot past the local log
    assert (log.start_offset, log.next_offset, log.flushed_offset) == (100, 100, 100)
    assert log.segment_count == 0
    assert log.append(make_batch(), term=2) == (100, 100)
    log.close()
    assert open_log().next_offset == 101


def test_gc_by_time_spares_the_active_segment(open_log, make_batch, clock) -> None:
    log = open_log(segment_bytes=1000, retention_ms=HOUR_MS)
    fill(log, make_batch, 6, timestamp_ms=T0_MS)
    fill(log, make_batch, 6, timestamp_ms=T0_MS + 2 * HOUR_MS)
    bases = bases_on_disk(log)
    assert log.gc(T0_MS + HOUR_MS) == 0  # nothing older than an hour yet
    size = log.size_bytes
    removed = log.gc(T0_MS + 2 * HOUR_MS + 1)
    assert removed > 0 and log.size_bytes == size - removed
    assert bases_on_disk(log)[0] == log.start_offset == 12  # old timestamps ended at 12
    assert log.gc(T0_MS + 100 * HOUR_MS) > 0
    assert bases_on_disk(log) == [bases[-1]] and log.segment_count == 1  # active kept
    assert log.start_offset == bases[-1]
    with pytest.raises(OffsetOutOfRange):
        log.read(0, 100, 24)


def segments_deleted_by_bytes(sizes: list[int], retention_bytes: int, collectible: int) -> int:
    """How many oldest segments retention_bytes deletes (never the last one)."""
    total = sum(sizes)
    deleted = 0
    while deleted < min(collectible, len(sizes) - 1) and total > retention_bytes:
        total -= sizes[deleted]
        deleted += 1
    return deleted


def test_gc_by_bytes_and_max_collectible(open_log, make_batch) -> None:
    log = open_log(segment_bytes=1000, retention_bytes=2500)
    fill(log, make_batch, 15)
    bases = bases_on_disk(log)
    sizes = [(log.directory / f"{base}-1-v1.log").stat().st_size for base in bases]
    assert len(bases) >= 5 and sum(sizes) == log.size_bytes
    assert log.gc(T0_MS, max_collectible_offset=bases[1] - 1) == 0  # segment 0 ends above
    assert log.gc(T0_MS, max_collectible_offset=bases[2]) == sizes[0] + sizes[1]
    assert bases_on_disk(log) == bases[2:] and log.start_offset == bases[2]
    deleted = segments_deleted_by_bytes(sizes[2:], 2500, len(sizes))
    assert deleted > 0
    assert log.gc(T0_MS) == sum(sizes[2 : 2 + deleted])
    assert bases_on_disk(log) == bases[2 + deleted :]
    assert log.size_bytes == sum(sizes[2 + deleted :]) <= 2500
    log.close()
    reopened = open_log(segment_bytes=1000, retention_bytes=2500)
    assert (reopened.start_offset, reopened.size_bytes) == (bases[2 + deleted], log.size_bytes)


def test_gc_never_deletes_only_segment(open_log, make_batch) -> None:
    log = open_log(retention_bytes=0, retention_ms=0)
    fill(log, make_batch, 5)
    assert log.gc(T0_MS + 10 * HOUR_MS) == 0 and log.segment_count == 1


def test_timequery(open_log, make_batch) -> None:
    log = open_log(segment_bytes=1500, index_interval_bytes=300)
    stamps = [T0_MS + 100 * i for i in range(30)]
    stamps[7] = T0_MS + 1_050  # a late batch: max timestamps are not monotonic
    for index, stamp in enumerate(stamps):
        log.append(make_batch(records=2, timestamp_ms=stamp, tag=index), term=1 + index // 20)
    # batch i holds offsets 2i, 2i+1; its max timestamp is stamps[i] + 1
    assert log.timequery(T0_MS, 60) == 0
    assert log.timequery(T0_MS + 101, 60) == 2
    assert log.timequery(T0_MS + 702, 60) == 14  # batch 7 (late) reaches it first
    assert log.timequery(T0_MS + 1_051, 60) == 14
    assert log.timequery(T0_MS + 702, 14) is None  # batch 7 is at the upper offset
    assert log.timequery(T0_MS + 1_052, 60) == 22
    assert log.timequery(T0_MS + 2_501, 60) == 50  # batch 25, in a term-2 segment
    assert log.timequery(T0_MS + 2_501, 50) is None
    assert log.timequery(T0_MS + 2_401, 50) == 48
    assert log.timequery(T0_MS + 3_000, 60) is None
    log.close()
    reopened = open_log(segment_bytes=1500, index_interval_bytes=300)
    assert reopened.timequery(T0_MS + 702, 60) == 14
    assert reopened.timequery(T0_MS + 2_001, 60) == 40
    reopened.prefix_truncate(45)
    assert reopened.timequery(T0_MS, 60) == 45


def test_read_after_retention_gap_starts_at_next_batch(open_log, make_batch) -> None:
    log = open_log(segment_bytes=1000, retention_bytes=0)
    fill(log, make_batch, 9)
    log.gc(T0_MS)
    start = log.start_offset
    assert start > 0 and log.read(start, 0, 100).first_offset == start
    data = log.read_bytes(start, 1 << 20, 100)
    assert split_batches(data)[0][1].base_offset == start


def test_deleted_segment_read_fd_outlives_deletion_by_the_delay(
    open_log, make_batch, clock
) -> None:
    log = open_log(segment_bytes=1000, retention_bytes=0, file_delete_delay_ms=60_000)
    fill(log, make_batch, 9)
    in_flight = log.read(0, 1 << 20, 18)  # a fetch about to sendfile this slice
    expected = log.read_bytes(0, 1 << 20, 18)
    assert log.gc(T0_MS) > 0 and log.start_offset > in_flight.last_offset
    assert not (log.directory / "0-1-v1.log").exists()
    assert os.pread(in_flight.fd, in_flight.length, in_flight.position) == expected
    clock.advance(59_999)
    log.gc(T0_MS)
    assert os.pread(in_flight.fd, in_flight.length, in_flight.position) == expected
    clock.advance(1)
    log.gc(T0_MS)  # reaps the graveyard
    with pytest.raises(OSError):
        os.fstat(in_flight.fd)


def test_zero_delete_delay_closes_at_once(open_log, make_batch) -> None:
    log = open_log(segment_bytes=1000, retention_bytes=0, file_delete_delay_ms=0)
    fill(log, make_batch, 9)
    fd = log.read(0, 100, 18).fd
    log.gc(T0_MS)
    with pytest.raises(OSError):
        os.fstat(fd)
