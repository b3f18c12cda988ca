"""A single-voter group over a brand-new log (a partition just created) writes its first
term off the event loop (core.raft.hard_state: raft_state.json on the writer pool), so
creating many partitions costs no fsync on the loop. Nothing depends on that write being
durable: a term whose data became durable is recovered from the log itself."""

from __future__ import annotations

import asyncio
import os

import pytest

from core.common.clock import ManualClock
from core.model.records import Record, build_batch
from core.raft.consensus import QUORUM_ACK, Consensus
from core.raft.hard_state import KVSTORE_KEY, STATE_FILE
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig


@pytest.fixture
def fsyncs(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


def batch() -> bytearray:
    return build_batch([Record(key=b"k", value=b"v" * 100)])


def open_group(path, flusher) -> Consensus:
    c = Consensus(1, 0, DiskLog.open(path, LogConfig(), ManualClock()), flusher)
    c.start()
    return c


async def _state_file(path) -> None:
    for _ in range(200):
        if (path / STATE_FILE).exists():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("raft_state.json not written")


async def test_a_new_group_elects_itself_without_an_fsync_on_the_loop(tmp_path, fsyncs):
    flusher = GroupCommit()
    flusher.start()
    try:
        c = open_group(tmp_path / "p", flusher)
        assert fsyncs == [] and c.is_leader and c.serving and c.term == 0
        assert c.log.kvstore.get(KVSTORE_KEY) is None
        await _state_file(tmp_path / "p")  # written by the pool
        done = c.replicate(batch(), QUORUM_ACK).done
        assert done is not None
        await asyncio.wait_for(done, 5)
        c.close()
        c.log.close()
        again = open_group(tmp_path / "p", flusher)  # an existing group: as before
        assert again.term == 1 and again.log.kvstore.get(KVSTORE_KEY)["term"] == 1
        assert again.log.next_offset == 1
        again.close()
        again.log.close()
    finally:
        await flusher.stop()


async def test_a_lost_first_term_is_recovered_from_the_durable_data(tmp_path):
    flusher = GroupCommit()
    flusher.start()
    try:
        c = open_group(tmp_path / "p", flusher)
        await _state_file(tmp_path / "p")
        done = c.replicate(batch(), QUORUM_ACK).done
        assert done is not None
        await asyncio.wait_for(done, 5)  # acknowledged: durable
        c.close()
        c.log.abandon()  # a crash ...
        (tmp_path / "p" / STATE_FILE).unlink()  # ... before the term's write was durable
        again = open_group(tmp_path / "p", flusher)
        assert again.log.next_offset == 1 and again.term_at(0) == 0  # the data's term
        assert again.term == 1  # a new term past it, not term 0 again
        again.close()
        again.log.close()
    finally:
        await flusher.stop()
