"""DiskLog.close under the owner's clean-shutdown record (`clean` given to open) writes its
batches and index files without syncing them (the owner's one syncfs does); a log keeping its
own marker still syncs them. Either way the next clean open finds the same log."""

from __future__ import annotations

import os

import pytest

from core.common.clock import ManualClock
from core.storage.log import DiskLog, LogConfig


@pytest.fixture
def syncs(monkeypatch) -> list[str]:
    calls: list[str] = []
    for name in ("fsync", "fdatasync"):
        real = getattr(os, name)

        def counting(fd: int, _real=real, _name=name) -> None:
            calls.append(_name)
            _real(fd)

        monkeypatch.setattr(os, name, counting)
    return calls


@pytest.mark.parametrize("clean", [True, None])
def test_close_syncs_only_without_the_owners_record(tmp_path, make_batch, syncs, clean) -> None:
    clock = ManualClock()
    DiskLog.open(tmp_path / "p", LogConfig(), clock, clean).close()  # an existing log
    log = DiskLog.open(tmp_path / "p", LogConfig(), clock, clean)
    log.append(make_batch(records=3), term=1)
    log.append_replicated(make_batch(records=2), term=1)  # placed, not yet written
    syncs.clear()
    log.close()
    assert (syncs == []) is (clean is True)
    again = DiskLog.open(tmp_path / "p", LogConfig(), clock, True)
    assert (again.next_offset, again.size_bytes) == (5, log.size_bytes)
    assert again.read_bytes(3, 1 << 20, 5)  # the replicated batch's bytes were written
    again.close()
