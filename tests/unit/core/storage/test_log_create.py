"""Creating a log costs no fsync (DiskLog.open in a new directory): nothing to recover, and
no kvstore write, since a store without the clean-shutdown marker already means "not
clean". Crash safety is unchanged: a crash after the first appends recovers by scanning
what reached the disk; an existing log is still marked unclean, durably, at open."""

from __future__ import annotations

import os

import pytest

from core.storage.kvstore import KvStore
from core.storage.log import CLEAN_SHUTDOWN_KEY, KVSTORE_NAME


@pytest.fixture
def fsyncs(monkeypatch) -> list[int]:
    """Counts os.fsync calls (the real ones still run)."""
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


def test_a_new_log_is_created_without_fsync_or_kvstore_write(open_log, log_dir, fsyncs) -> None:
    log = open_log()
    assert fsyncs == []
    assert not (log_dir / KVSTORE_NAME).exists()
    assert (log.start_offset, log.next_offset, log.flushed_offset) == (0, 0, 0)
    assert log.kvstore.get(CLEAN_SHUTDOWN_KEY, False) is False  # as an unclean shutdown


def test_an_existing_log_is_marked_unclean_durably_at_open(open_log, log_dir, fsyncs) -> None:
    open_log().close()
    assert KvStore.open(log_dir / KVSTORE_NAME).get(CLEAN_SHUTDOWN_KEY) is True
    fsyncs.clear()
    open_log()
    assert KvStore.open(log_dir / KVSTORE_NAME).get(CLEAN_SHUTDOWN_KEY) is False
    assert len(fsyncs) >= 2  # the store's temporary file and its directory


def test_a_crash_after_the_first_appends_recovers_what_was_flushed(
    open_log, make_batch, log_dir
) -> None:
    log = open_log()
    flushed = [make_batch(tag=i) for i in range(3)]
    for batch in flushed:
        log.append(batch, term=1)
    log.flush()
    log.append(make_batch(tag=9), term=1)  # not flushed: may or may not survive
    log.abandon()  # a crash: no index files, no clean marker, no kvstore at all
    assert not (log_dir / KVSTORE_NAME).exists()
    reopened = open_log()  # scanned, as an unclean shutdown
    assert reopened.next_offset in (3, 4) and reopened.flushed_offset == reopened.next_offset
    assert bytes(reopened.read_bytes(0, 1 << 30, 3)) == b"".join(bytes(b) for b in flushed)
    assert reopened.kvstore.get(CLEAN_SHUTDOWN_KEY) is False
    reopened.close()
    assert open_log().next_offset == reopened.next_offset


def test_a_crash_right_after_creation_leaves_an_empty_log(open_log, log_dir) -> None:
    open_log().abandon()
    log = open_log()
    assert (log.start_offset, log.next_offset) == (0, 0)
    assert KvStore.open(log_dir / KVSTORE_NAME).get(CLEAN_SHUTDOWN_KEY) is False
