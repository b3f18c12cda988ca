"""Consensus.add_commit_listener and wait_committed on a single voter over a real DiskLog
(the multi-voter cases run in tests/raft_groups): each commit move is heard once, with the
new commit offset; a waiter resolves once commit_offset > its offset, fails when the log
is cut at or below it (unless keep_on_truncate) and when the replica closes."""

from __future__ import annotations

import asyncio

import pytest

from core.common.clock import ManualClock
from core.model.records import Record, build_batch
from core.raft.consensus import LEADER_ACK, Consensus
from core.raft.errors import RaftErrc, RaftError
from core.storage.log import DiskLog, LogConfig


class ManualFlusher:
    """The GroupCommit seam: nothing is flushed until the test says so."""

    def request(self, group, *, urgent: bool) -> None:
        pass

    def forget(self, group) -> None:
        pass


def open_group(path) -> Consensus:
    c = Consensus(1, 0, DiskLog.open(path, LogConfig(), ManualClock()), ManualFlusher())
    c.start()
    return c


def flush(c: Consensus) -> None:
    c.log.flush()
    c.on_flushed()


def batch(n: int = 1) -> bytearray:
    return build_batch([Record(key=b"k", value=b"v")] * n)


async def test_listeners_hear_each_commit_and_waiters_resolve_past_their_offset(tmp_path):
    c = open_group(tmp_path)
    heard: list[int] = []
    c.add_commit_listener(heard.append)
    first = c.replicate(batch(2), LEADER_ACK)  # offsets 0-1
    at_0, at_1 = c.wait_committed(0), c.wait_committed(1)
    at_2 = c.wait_committed(2)
    assert not at_0.done() and c.commit_offset == 0
    flush(c)
    assert heard == [2] and c.commit_offset == first.last_offset + 1 == 2
    await asyncio.sleep(0)
    assert at_0.done() and at_1.done() and not at_2.done()
    assert c.wait_committed(1).done()  # already committed: resolved at once
    c.replicate(batch(), LEADER_ACK)
    flush(c)
    flush(c)  # no move: not heard again
    assert heard == [2, 3]
    await asyncio.wait_for(at_2, 1)
    c.close()


async def test_a_cut_fails_the_waiters_it_removes_and_close_fails_the_rest(tmp_path):
    c = open_group(tmp_path)
    c.replicate(batch(), LEADER_ACK)
    flush(c)  # commit 1
    c.replicate(batch(), LEADER_ACK)  # 1, then 2-3: not flushed, not committed
    c.replicate(batch(2), LEADER_ACK)
    below, cut_at, past = c.wait_committed(1), c.wait_committed(2), c.wait_committed(3)
    kept = c.wait_committed(2, keep_on_truncate=True)
    c.truncate_to(2)
    for fut in (cut_at, past):
        with pytest.raises(RaftError) as exc:
            await fut
        assert exc.value.errc == RaftErrc.term_changed
    assert c.commit_offset == 2  # the cut fsynced what it kept, which a single voter commits
    await below
    assert not kept.done()
    c.close()
    for fut in (kept, c.wait_committed(7)):
        with pytest.raises(RaftError) as exc:
            await fut
        assert exc.value.errc == RaftErrc.shutting_down


async def test_cancelled_waiters_do_not_pile_up(tmp_path):
    c = open_group(tmp_path)
    for _ in range(1000):
        c.wait_committed(10).cancel()
    assert len(c._commit_watch) < 200
    c.close()
