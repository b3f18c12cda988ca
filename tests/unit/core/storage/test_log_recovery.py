"""Recovery in DiskLog.open(): torn tails, corruption, lost indexes, clean restarts."""

from __future__ import annotations

import logging
import os
import pathlib

from core.model.batch import parse_header, split_batches
from core.storage.kvstore import KvStore
from core.storage.log import CLEAN_SHUTDOWN_KEY, START_OFFSET_KEY


def fill(log, make_batch, batches: int, term: int = 1) -> list[bytes]:
    appended = []
    for index in range(batches):
        batch = make_batch(records=2, value_bytes=100 + index, tag=index)
        log.append(batch, term=term)
        appended.append(bytes(batch))
    return appended


def segment_path(directory: pathlib.Path, base: int, term: int) -> pathlib.Path:
    return directory / f"{base}-{term}-v1.log"


def assert_readable(log, appended: list[bytes]) -> None:
    data = log.read_bytes(log.start_offset, 1 << 30, upper_offset=log.next_offset)
    headers = [header for _, header in split_batches(data)]
    offsets = [o for h in headers for o in range(h.base_offset, h.last_offset + 1)]
    assert offsets == list(range(log.start_offset, log.next_offset)), "contiguous"
    assert data == b"".join(appended)[: len(data)]


def test_clean_reopen_keeps_everything(open_log, make_batch, log_dir) -> None:
    log = open_log(segment_bytes=1000)
    appended = fill(log, make_batch, 12)
    end = log.next_offset
    log.close()
    assert log.kvstore.get(CLEAN_SHUTDOWN_KEY) is True
    assert len(list(log_dir.glob("*.index"))) == len(list(log_dir.glob("*.log")))
    reopened = open_log(segment_bytes=1000)
    assert (reopened.next_offset, reopened.flushed_offset) == (end, end)
    assert reopened.kvstore.get(CLEAN_SHUTDOWN_KEY) is False  # until the next close
    first_segment = segment_path(log_dir, 0, 1).read_bytes()
    assert reopened.read_bytes(0, 1 << 30, end) == first_segment  # one segment per read
    assert_readable_all(reopened, appended)
    assert reopened.append(make_batch(), term=1) == (end, end)


def assert_readable_all(log, appended: list[bytes]) -> None:
    got = b""
    offset = log.start_offset
    for _ in range(len(appended) + 1):
        found = log.read(offset, 1 << 30, upper_offset=log.next_offset)
        if found is None:
            break
        got += os.pread(found.fd, found.length, found.position)
        offset = found.last_offset + 1
    assert got == b"".join(appended)


def test_half_written_final_batch_is_cut(open_log, make_batch, log_dir, caplog) -> None:
    log = open_log()
    appended = fill(log, make_batch, 5)
    log.flush()
    log.abandon()
    path = segment_path(log_dir, 0, 1)
    whole = path.stat().st_size
    os.truncate(path, whole - len(appended[-1]) // 2)
    with caplog.at_level(logging.WARNING, logger="ailurus.storage"):
        reopened = open_log()
    assert "truncating log" in caplog.text and "partial batch" in caplog.text
    assert reopened.next_offset == 8 and reopened.flushed_offset == 8
    assert path.stat().st_size == whole - len(appended[-1])
    assert_readable(reopened, appended[:4])
    assert reopened.append(make_batch(records=3), term=1) == (8, 10)
    reopened.close()
    assert open_log().next_offset == 11


def test_flipped_byte_cuts_from_that_batch_and_later_segments(
    open_log, make_batch, log_dir
) -> None:
    log = open_log(segment_bytes=700)
    appended = fill(log, make_batch, 12)
    bases = sorted(int(p.name.split("-")[0]) for p in log_dir.glob("*.log"))
    assert len(bases) >= 3
    log.close()
    # Corrupt the second batch of the second segment: one byte in its records.
    victim = segment_path(log_dir, bases[1], 1)
    data = bytearray(victim.read_bytes())
    (_, first), (second_at, _) = split_batches(data)[:2]
    data[second_at + 70] ^= 0x01
    victim.write_bytes(data)
    os.remove(victim.with_suffix(".index"))  # its index no longer matches either
    reopened = open_log(segment_bytes=700)
    assert reopened.next_offset == bases[1] + first.record_count
    assert sorted(p.name for p in log_dir.glob("*.log")) == [
        f"{bases[0]}-1-v1.log",
        f"{bases[1]}-1-v1.log",
    ]
    assert victim.stat().st_size == second_at
    kept = len([p for p in appended if parse_header(p).base_offset < reopened.next_offset])
    assert_readable_all(reopened, appended[:kept])
    assert reopened.append(make_batch(), term=2)[0] == bases[1] + first.record_count


def test_trailing_zeros_and_garbage(open_log, make_batch, log_dir) -> None:
    log = open_log()
    appended = fill(log, make_batch, 3)
    log.abandon()
    path = segment_path(log_dir, 0, 1)
    with open(path, "ab") as file:
        file.write(b"\0" * 4096)  # preallocated-but-unwritten tail
    reopened = open_log()
    assert reopened.next_offset == 6 and path.stat().st_size == sum(map(len, appended))
    reopened.abandon()
    with open(path, "ab") as file:
        file.write(os.urandom(300))
    again = open_log()
    assert again.next_offset == 6
    assert_readable(again, appended)


def test_deleted_index_is_rebuilt(open_log, make_batch, log_dir) -> None:
    config = dict(segment_bytes=2000, index_interval_bytes=200)
    log = open_log(**config)
    appended = fill(log, make_batch, 30)
    log.close()
    first_index = log_dir / "0-1-v1.index"
    saved = first_index.read_bytes()
    first_index.unlink()
    (log_dir / "0-1-v1.timeindex").write_bytes(b"garbage")
    reopened = open_log(**config)
    assert reopened.next_offset == 60
    assert_readable_all(reopened, appended)
    for offset in range(0, 60, 7):
        found = reopened.read(offset, 0, 60)
        assert found.first_offset <= offset <= found.last_offset
    reopened.close()
    assert first_index.read_bytes() == saved  # rebuilt identically


def test_unclean_shutdown_rescans_closed_segments(open_log, make_batch, log_dir) -> None:
    log = open_log(segment_bytes=700)
    fill(log, make_batch, 8)
    log.close()
    log_dir.joinpath("0-1-v1.log").open("r+b").truncate(300)  # index claims more
    # the index records the log size, so even a "clean" open notices and rescans
    reopened = open_log(segment_bytes=700)
    assert reopened.next_offset == 2 and reopened.segment_count == 1
    reopened.abandon()
    assert reopened.kvstore.get(CLEAN_SHUTDOWN_KEY) is False


def test_stale_segments_below_start_are_dropped(open_log, make_batch, log_dir) -> None:
    log = open_log(segment_bytes=700)
    fill(log, make_batch, 10)
    log.close()
    bases = sorted(int(p.name.split("-")[0]) for p in log_dir.glob("*.log"))
    holding_nine = max(base for base in bases if base <= 9)
    assert holding_nine > 0
    # a crash after persisting a new start offset but before deleting the segments
    KvStore.open(log_dir / "kvstore.json").put(START_OFFSET_KEY, 9)
    reopened = open_log(segment_bytes=700)
    assert reopened.start_offset == 9
    remaining = sorted(int(p.name.split("-")[0]) for p in log_dir.glob("*.log"))
    assert remaining == [base for base in bases if base >= holding_nine]
    assert not list(log_dir.glob("0-1-v1.*"))
    assert reopened.read(9, 0, reopened.next_offset).first_offset == 8


def test_empty_directory_and_empty_segment(open_log, make_batch, log_dir) -> None:
    log = open_log()
    assert log.next_offset == 0 and log.read(0, 10, 10) is None
    log.append(make_batch(), term=3)
    log.abandon()
    os.truncate(segment_path(log_dir, 0, 3), 0)
    reopened = open_log()
    assert (reopened.next_offset, reopened.active_term, reopened.segment_count) == (0, -1, 0)
    assert reopened.append(make_batch(), term=3) == (0, 0)


def test_clean_reopen_trusts_closed_segment_indexes(open_log, make_batch, log_dir) -> None:
    log = open_log(segment_bytes=700)
    fill(log, make_batch, 8)
    end = log.next_offset
    log.close()
    first = segment_path(log_dir, 0, 1)
    data = bytearray(first.read_bytes())
    data[-1] ^= 0xFF  # same size: only a scan can tell
    first.write_bytes(data)
    trusting = open_log(segment_bytes=700)
    assert trusting.next_offset == end  # closed segments were not rescanned
    trusting.abandon()  # now the shutdown was not clean: everything is scanned
    scanning = open_log(segment_bytes=700)
    last_batch_base = split_batches(data, check_crc=False)[-1][1].base_offset
    assert scanning.next_offset == last_batch_base
    assert sorted(p.name for p in log_dir.glob("*.log")) == ["0-1-v1.log"]
