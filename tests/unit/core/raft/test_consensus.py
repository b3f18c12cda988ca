"""Single-voter consensus over a real DiskLog: terms, commit and visibility rules."""

from __future__ import annotations

import asyncio

from core.common.clock import ManualClock
from core.model.batch import parse_header
from core.model.records import Record, build_batch
from core.raft.consensus import LEADER_ACK, QUORUM_ACK, Consensus
from core.storage.log import DiskLog, LogConfig


class ManualFlusher:
    """The GroupCommit seam, driven by the test: flushes only when told to."""

    def __init__(self) -> None:
        self.requested: list[tuple[object, bool]] = []

    def request(self, group, *, urgent: bool) -> None:
        self.requested.append((group, urgent))

    def forget(self, group) -> None:
        pass

    @staticmethod
    def flush(group) -> None:
        group.log.flush()
        group.on_flushed()


def open_group(path, flusher) -> Consensus:
    log = DiskLog.open(path, LogConfig(), ManualClock())
    c = Consensus(1, 0, log, flusher)
    c.start()
    return c


def batch(n: int = 1) -> bytearray:
    return build_batch([Record(key=b"k", value=b"v")] * n)


async def test_acks_all_is_invisible_until_committed_and_blocks_later_writes(tmp_path):
    f = ManualFlusher()
    c = open_group(tmp_path, f)
    relaxed = c.replicate(batch(), LEADER_ACK)
    assert relaxed.done is None and c.visible_offset == 1
    strict = c.replicate(batch(2), QUORUM_ACK)
    after = c.replicate(batch(), LEADER_ACK)
    assert (strict.base_offset, after.base_offset) == (1, 3)
    # The acks=1 record stays visible (the high watermark never goes back); the acks=all
    # batch and the relaxed write after it wait for the commit.
    assert c.visible_offset == 1 and not strict.done.done()
    assert f.requested[-2][1] is True  # acks=all asked for an urgent flush
    ManualFlusher.flush(c)
    await asyncio.wait_for(strict.done, 1)
    assert c.commit_offset == 4 and c.visible_offset == 4


async def test_every_start_is_a_new_term_recorded_with_its_first_offset(tmp_path):
    f = ManualFlusher()
    c = open_group(tmp_path, f)
    first = c.term
    for _ in range(3):
        c.replicate(batch(), LEADER_ACK)
    ManualFlusher.flush(c)
    c.close()
    c.log.close()
    c2 = open_group(tmp_path, f)
    assert c2.term == first + 1
    assert c2.term_history[-2:] == [(first, 0), (first + 1, 3)]
    assert c2.end_offset_for_term(first) == (first, 3)
    assert c2.end_offset_for_term(first + 5) == (first + 1, 3)
    assert c2.term_at(2) == first
    appended = c2.replicate(batch(), LEADER_ACK)
    header = parse_header(c2.log.read_bytes(appended.base_offset, 1, 10))
    assert header.leader_epoch == c2.term  # the term is stored in every batch


async def test_close_fails_pending_waiters(tmp_path):
    c = open_group(tmp_path, ManualFlusher())
    pending = c.replicate(batch(), QUORUM_ACK)
    c.close()
    assert isinstance(pending.done.exception(), Exception)


async def test_visible_offset_never_decreases_whatever_the_mix_of_acks(tmp_path):
    f = ManualFlusher()
    c = open_group(tmp_path, f)
    seen = [c.visible_offset]
    c.add_visible_listener(lambda: seen.append(c.visible_offset))
    pending = []
    for i, acks in enumerate([LEADER_ACK, QUORUM_ACK, LEADER_ACK, LEADER_ACK, QUORUM_ACK] * 3):
        appended = c.replicate(batch(), acks)
        if appended.done is not None:
            pending.append(appended.done)
        seen.append(c.visible_offset)
        if i % 4 == 3:
            ManualFlusher.flush(c)
            seen.append(c.visible_offset)
    ManualFlusher.flush(c)
    await asyncio.wait_for(asyncio.gather(*pending), 1)
    seen.append(c.visible_offset)
    assert seen == sorted(seen), seen
    assert c.visible_offset == c.log.next_offset == 15
