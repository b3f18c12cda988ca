"""The Consensus driver over real DiskLogs: truncation fails waiters and tells the layer
above; three replicas wired by an in-process transport elect a leader, replicate the
leader's batch bytes as they are, and commit acks=all writes once a majority flushed."""

from __future__ import annotations

import asyncio
import random

from core.common.clock import ManualClock, SystemClock
from core.model.records import Record, build_batch
from core.raft.consensus import LEADER_ACK, QUORUM_ACK, Consensus
from core.raft.errors import RaftErrc, RaftError
from core.raft.state import RaftConfig
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig

WAIT_S = 10


def batch(tag: int = 0) -> bytearray:
    return build_batch([Record(key=b"k", value=bytes([tag]) * 50)])


class ManualFlusher:
    def request(self, target, *, urgent: bool) -> None:
        pass

    def forget(self, owner) -> None:
        pass


async def test_truncation_fails_waiters_and_tells_listeners(tmp_path):
    c = Consensus(1, 0, DiskLog.open(tmp_path, LogConfig(), ManualClock()), ManualFlusher())
    c.start()
    cut: list[int] = []
    c.add_truncate_listener(cut.append)
    kept = c.replicate(batch(), LEADER_ACK)
    c.log.flush()
    c.on_flushed()
    lost = c.replicate(batch(), QUORUM_ACK)
    c.truncate_to(kept.last_offset + 1)
    assert cut == [1] and c.log.next_offset == 1 and c.visible_offset == 1
    exc = lost.done.exception()
    assert isinstance(exc, RaftError) and exc.errc == RaftErrc.term_changed


async def test_three_replicas_elect_replicate_and_commit(tmp_path):
    loop = asyncio.get_running_loop()
    flusher = GroupCommit()
    flusher.start()
    config = RaftConfig(election_timeout_ms=150, heartbeat_interval_ms=30)
    replicas: dict[int, Consensus] = {}

    def transport(msg) -> None:
        loop.call_soon(replicas[msg.dst].receive, msg)

    for i in range(3):
        log = DiskLog.open(tmp_path / f"n{i}", LogConfig(), SystemClock())
        replicas[i] = Consensus(
            7, i, log, flusher, voters=(0, 1, 2), transport=transport,
            rng=random.Random(i), config=config,
        )  # fmt: skip
        replicas[i].start()
    try:
        leader = await _leader(replicas)
        pending = [leader.replicate(batch(n), QUORUM_ACK) for n in range(5)]
        await asyncio.wait_for(asyncio.gather(*(p.done for p in pending)), WAIT_S)
        assert leader.commit_offset == 5 == leader.visible_offset
        await _until(lambda: all(r.log.flushed_offset == 5 for r in replicas.values()))
        images = {r.log.read_bytes(0, 1 << 20, 5) for r in replicas.values()}
        assert len(images) == 1  # byte-identical logs, terms included
        assert all(r.term_history == leader.term_history for r in replicas.values())
        try:
            replicas[(leader.node_id + 1) % 3].replicate(batch(), QUORUM_ACK)
            raise AssertionError("a follower accepted a write")
        except RaftError as exc:
            assert exc.errc == RaftErrc.not_leader
    finally:
        for r in replicas.values():
            r.close()
        await flusher.stop()
        for r in replicas.values():
            r.log.close()


async def _leader(replicas: dict[int, Consensus]) -> Consensus:
    await _until(lambda: any(r.is_leader and r.core.serving for r in replicas.values()))
    return next(r for r in replicas.values() if r.is_leader)


async def _until(cond) -> None:
    for _ in range(WAIT_S * 50):
        if cond():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")
