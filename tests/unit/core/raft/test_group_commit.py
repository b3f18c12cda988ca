"""Group commit (core.storage.group_commit) over real DiskLogs: acks=all writes share
fsync rounds; relaxed writes flush on their group's byte threshold; the fdatasyncs of
different logs run in parallel."""

from __future__ import annotations

import asyncio
import threading

from core.common.clock import ManualClock
from core.model.records import Record, build_batch
from core.raft.consensus import LEADER_ACK, QUORUM_ACK, Consensus
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig

WAIT_S = 10


def groups(tmp_path, flusher, n: int) -> list[Consensus]:
    out = []
    for i in range(n):
        c = Consensus(i, 0, DiskLog.open(tmp_path / f"g{i}", LogConfig(), ManualClock()), flusher)
        c.start()
        out.append(c)
    return out


def batch(size: int = 100) -> bytearray:
    return build_batch([Record(key=None, value=b"x" * size)])


async def test_concurrent_acks_all_writes_share_one_fsync_round(tmp_path):
    flusher = GroupCommit()
    gs = groups(tmp_path, flusher, 4)
    flusher.start()
    try:
        pending = [g.replicate(batch(), QUORUM_ACK) for g in gs for _ in range(25)]
        await asyncio.wait_for(asyncio.gather(*(p.done for p in pending)), WAIT_S)
        assert flusher.rounds == 1  # 100 acknowledgements, 4 logs, one round of fdatasyncs
        assert all(g.commit_offset == 25 == g.visible_offset for g in gs)
    finally:
        await flusher.stop()


async def test_relaxed_writes_flush_on_byte_threshold_not_before(tmp_path):
    flusher = GroupCommit()
    (g,) = groups(tmp_path, flusher, 1)
    g.flush_delay_ms = 3_600_000  # time alone would not flush within this test
    g.flush_bytes_max = 10_000
    flusher.start()
    try:
        g.replicate(batch(1000), LEADER_ACK)
        await asyncio.sleep(0.2)
        assert g.log.flushed_offset == 0 and g.visible_offset == 1  # visible, not yet durable
        for _ in range(10):
            g.replicate(batch(1000), LEADER_ACK)
        for _ in range(WAIT_S * 20):
            if g.log.flushed_offset == 11:
                break
            await asyncio.sleep(0.05)
        assert g.log.flushed_offset == 11 and g.pending_flush_bytes == 0
    finally:
        await flusher.stop()


async def test_stop_flushes_what_is_pending(tmp_path):
    flusher = GroupCommit()
    (g,) = groups(tmp_path, flusher, 1)
    g.flush_delay_ms = 3_600_000
    flusher.start()
    g.replicate(batch(), LEADER_ACK)
    await flusher.stop()
    assert g.log.flushed_offset == 1


async def test_a_failed_fdatasync_is_fatal_and_acknowledges_nothing(tmp_path):
    fatal: list[str] = []
    flusher = GroupCommit(on_fatal=fatal.append)
    (g,) = groups(tmp_path, flusher, 1)

    def failing_flush_run(ticket) -> None:
        raise OSError(5, "Input/output error")

    g.log.flush_run = failing_flush_run  # the disk fails under this log's fdatasync
    flusher.start()
    try:
        pending = g.replicate(batch(), QUORUM_ACK)
        for _ in range(WAIT_S * 20):
            if fatal:
                break
            await asyncio.sleep(0.05)
        assert fatal and "fdatasync failed" in fatal[0]
        assert not pending.done.done() and g.commit_offset == 0 and g.visible_offset == 0
    finally:
        await flusher.stop()


async def test_fdatasyncs_of_different_logs_run_in_parallel(tmp_path):
    flusher = GroupCommit(workers=2)
    gs = groups(tmp_path, flusher, 2)
    together = threading.Barrier(2, timeout=5)  # broken unless both syncs run at once

    def meeting_flush_run(real):
        def run(ticket) -> None:
            together.wait()
            real(ticket)

        return run

    for g in gs:
        g.log.flush_run = meeting_flush_run(g.log.flush_run)
    flusher.start()
    try:
        pending = [g.replicate(batch(), QUORUM_ACK) for g in gs]
        await asyncio.wait_for(asyncio.gather(*(p.done for p in pending)), WAIT_S)
        assert flusher.rounds == 1 and all(g.commit_offset == 1 for g in gs)
    finally:
        await flusher.stop()
