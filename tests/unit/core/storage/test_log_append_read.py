"""DiskLog append, segment rolling and read() slices, on real files."""

from __future__ import annotations

import os

import pytest

from core.model.batch import parse_header, split_batches
from core.model.records import decode_batch
from core.storage.errors import OffsetOutOfRange
from core.storage.log import ReadSlice
from core.storage.segment import parse_segment_name

from .conftest import T0_MS


def segment_files(log) -> list[tuple[int, int]]:
    return sorted(p for p in map(parse_segment_name, os.listdir(log.directory)) if p)


def slice_bytes(found: ReadSlice) -> bytes:
    data = os.pread(found.fd, found.length, found.position)
    assert len(data) == found.length
    return data


def test_append_assigns_offsets_and_patches_header(open_log, make_batch) -> None:
    log = open_log()
    assert (log.start_offset, log.next_offset, log.active_term) == (0, 0, -1)
    first = make_batch(records=3)
    assert log.append(first, term=1) == (0, 2)
    second = make_batch(records=2)
    assert log.append(second, term=1) == (3, 4)
    header = parse_header(second)
    assert (header.base_offset, header.leader_epoch) == (3, 1)
    decoded, records = decode_batch(second)  # CRC still valid after patching
    assert [r.offset for r in records] == [3, 4]
    assert (log.next_offset, log.flushed_offset, log.active_term) == (5, 0, 1)
    assert log.size_bytes == len(first) + len(second)
    assert log.read_bytes(0, 1 << 20, upper_offset=5) == bytes(first) + bytes(second)


def test_roll_on_segment_bytes(open_log, make_batch) -> None:
    log = open_log(segment_bytes=1000)
    sizes = []
    for _ in range(10):
        batch = make_batch(records=1, value_bytes=300)
        sizes.append(len(batch))
        log.append(batch, term=1)
    per_segment = 1000 // sizes[0]
    assert per_segment == 2
    assert segment_files(log) == [(offset, 1) for offset in range(0, 10, per_segment)]
    for base, _ in segment_files(log):
        assert os.path.getsize(log.directory / f"{base}-1-v1.log") <= 1000


def test_oversized_batch_gets_its_own_segment(open_log, make_batch) -> None:
    log = open_log(segment_bytes=500)
    log.append(make_batch(value_bytes=100), term=1)
    log.append(make_batch(value_bytes=2000), term=1)
    log.append(make_batch(value_bytes=100), term=1)
    assert segment_files(log) == [(0, 1), (1, 1), (2, 1)]


def test_roll_on_term_change_and_segment_terms(open_log, make_batch) -> None:
    log = open_log()
    for term, count in [(1, 3), (2, 2), (5, 4)]:
        for _ in range(count):
            log.append(make_batch(records=2), term=term)
    assert segment_files(log) == [(0, 1), (6, 2), (10, 5)]
    assert log.segment_terms() == [(1, 0), (2, 6), (5, 10)]
    assert [log.term_at(o) for o in (0, 5, 6, 9, 10, 17)] == [1, 1, 2, 2, 5, 5]
    assert log.term_at(18) is None
    with pytest.raises(AssertionError):
        log.append(make_batch(), term=4)  # terms never go back


def test_roll_on_segment_ms(open_log, make_batch, clock) -> None:
    log = open_log(segment_ms=60_000)
    log.append(make_batch(), term=1)
    clock.advance(59_999)
    log.append(make_batch(), term=1)
    assert segment_files(log) == [(0, 1)]
    clock.advance(1)
    log.append(make_batch(), term=1)
    assert segment_files(log) == [(0, 1), (2, 1)]
    clock.advance(30_000)
    log.append(make_batch(), term=1)
    assert segment_files(log) == [(0, 1), (2, 1)]


def build_log(open_log, make_batch, **config):
    """Three segments of 1- to 4-record batches of varied sizes; returns the log and
    the patched batches as appended."""
    log = open_log(**config)
    appended: list[bytes] = []
    for index in range(40):
        batch = make_batch(records=1 + index % 4, value_bytes=50 + 37 * (index % 7), tag=index)
        log.append(batch, term=1 + index // 15)
        appended.append(bytes(batch))
    return log, appended


def batch_holding(appended: list[bytes], offset: int) -> int:
    for slot, batch in enumerate(appended):
        header = parse_header(batch)
        if header.base_offset <= offset <= header.last_offset:
            return slot
    raise AssertionError(offset)


def test_read_at_every_offset_returns_the_batch_holding_it(open_log, make_batch) -> None:
    log, appended = build_log(open_log, make_batch, index_interval_bytes=256)
    for offset in range(log.next_offset):
        found = log.read(offset, max_bytes=0, upper_offset=log.next_offset)
        assert found is not None
        slot = batch_holding(appended, offset)
        assert slice_bytes(found) == appended[slot]
        header = parse_header(appended[slot])
        assert (found.first_offset, found.last_offset) == (header.base_offset, header.last_offset)


def test_read_spans_whole_batches_up_to_max_bytes(open_log, make_batch) -> None:
    log, appended = build_log(open_log, make_batch, index_interval_bytes=300)
    for offset in range(0, log.next_offset, 3):
        for max_bytes in (1, 200, 700, 1500, 1 << 20):
            found = log.read(offset, max_bytes, upper_offset=log.next_offset)
            data = slice_bytes(found)
            batches = [header for _, header in split_batches(data)]
            first = batch_holding(appended, offset)
            assert data == b"".join(appended[first : first + len(batches)])
            assert len(batches) == 1 or len(data) <= max_bytes
            assert found.last_offset == batches[-1].last_offset
            # maximal: the next batch of the same segment would not have fitted
            after = first + len(batches)
            same_term = (
                after < len(appended)
                and parse_header(appended[after]).leader_epoch == batches[-1].leader_epoch
            )
            if same_term:
                assert len(data) + len(appended[after]) > max_bytes


def test_read_respects_upper_offset(open_log, make_batch) -> None:
    log, appended = build_log(open_log, make_batch)
    upper = parse_header(appended[5]).base_offset + 1  # inside batch 5
    found = log.read(0, 1 << 20, upper_offset=upper)
    assert slice_bytes(found) == b"".join(appended[:6])
    assert found.last_offset == parse_header(appended[5]).last_offset
    exact = parse_header(appended[5]).base_offset
    assert slice_bytes(log.read(0, 1 << 20, upper_offset=exact)) == b"".join(appended[:5])
    assert log.read(exact, 1 << 20, upper_offset=exact) is None
    assert log.read(log.next_offset, 100, upper_offset=log.next_offset + 10) is None
    assert log.read_bytes(exact, 100, upper_offset=exact) == b""


def test_read_kip74_returns_oversized_first_batch(open_log, make_batch) -> None:
    log = open_log()
    log.append(make_batch(value_bytes=5000), term=1)
    log.append(make_batch(value_bytes=10), term=1)
    found = log.read(0, max_bytes=100, upper_offset=2)
    assert found.length > 5000 and (found.first_offset, found.last_offset) == (0, 0)


def test_read_below_start_raises(open_log, make_batch) -> None:
    log = open_log()
    for _ in range(5):
        log.append(make_batch(), term=1)
    log.prefix_truncate(3)
    with pytest.raises(OffsetOutOfRange):
        log.read(2, 100, upper_offset=5)
    assert log.read(3, 100, upper_offset=5).first_offset == 3


def test_read_timestamps_and_headers_survive(open_log, make_batch) -> None:
    log = open_log()
    log.append(make_batch(records=3, timestamp_ms=T0_MS + 7), term=2)
    header, records = decode_batch(log.read_bytes(1, 100, upper_offset=3))
    assert header.leader_epoch == 2 and header.max_timestamp == T0_MS + 9
    assert [r.timestamp_ms for r in records] == [T0_MS + 7, T0_MS + 8, T0_MS + 9]
