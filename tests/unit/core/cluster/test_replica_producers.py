"""The replica producer-state machine (ReplicaProducers) over an in-memory log of batch
headers: committed state from headers, the leader's view with in-flight batches,
truncation and leader changes."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.producer_state import Duplicate, ReplicaProducers
from core.model.batch import BatchHeader, parse_header
from core.model.records import Record, build_batch


class HeaderLog:
    """A log holding batch headers only (what ReplicaProducers reads), with read counts."""

    def __init__(self) -> None:
        self.headers: list[BatchHeader] = []
        self.reads: list[tuple[int, int]] = []

    @property
    def end(self) -> int:
        return self.headers[-1].last_offset + 1 if self.headers else 0

    def append(self, pid: int, seq: int, n: int = 1, epoch: int = 0) -> BatchHeader:
        raw = build_batch(
            [Record(key=None, value=b"v")] * n,
            producer_id=pid,
            producer_epoch=epoch,
            base_sequence=seq,
        )
        h = dataclasses.replace(parse_header(raw), base_offset=self.end)
        self.headers.append(h)
        return h

    def truncate(self, offset: int) -> None:
        self.headers = [h for h in self.headers if h.last_offset < offset]

    def read(self, start: int, end: int):
        self.reads.append((start, end))
        return [(h, None) for h in self.headers if h.base_offset >= start and h.base_offset < end]


def lead_append(log: HeaderLog, state: ReplicaProducers, pid: int, seq: int, n: int = 1, done=None):
    h = log.append(pid, seq, n)
    assert state.check(h) is None
    state.appended(h, h.base_offset, h.last_offset, done)
    return h


def test_a_follower_applies_committed_headers_only_then_leads_with_them():
    log = HeaderLog()
    state = ReplicaProducers(log.read)
    log.append(1, 0, 2)  # 0-1
    log.append(1, 2, 2)  # 2-3, replicated but not committed yet
    state.apply_committed(2, -1)
    assert state.committed.applied_offset == 2
    assert state.snapshot()["producers"] == [[1, 0, [[0, 1, 0, 1]]]]
    state.apply_committed(4, -1)
    state.lead(term=3, commit=4, log_end=4)
    # a retry sent to the new leader after failover: answered with the original offsets
    assert state.check(log.append(1, 2, 2)) == Duplicate(2, 3)
    log.truncate(4)
    with pytest.raises(ClusterError) as info:
        state.check(log.append(1, 7))
    assert info.value.errc is ClusterErrc.out_of_order_sequence


def test_the_leader_promotes_inflight_batches_without_reading_its_log():
    log = HeaderLog()
    state = ReplicaProducers(log.read)
    state.lead(term=1, commit=0, log_end=0)
    for seq in range(3):
        lead_append(log, state, 5, seq)
    log.reads.clear()
    state.apply_committed(2, 1)
    assert log.reads == [] and state.committed.applied_offset == 2
    assert [b[0] for b in state.snapshot()["producers"][0][2]] == [0, 1]
    state.apply_committed(3, 1)
    assert log.reads == [] and len(state.snapshot()["producers"][0][2]) == 3


def test_truncation_drops_the_view_and_cut_batches():
    log = HeaderLog()
    state = ReplicaProducers(log.read)
    state.lead(term=1, commit=0, log_end=0)
    lead_append(log, state, 5, 0)
    lead_append(log, state, 5, 1)
    state.apply_committed(1, 1)
    log.truncate(1)
    state.truncated(1)
    assert state.leader_term == -1
    state.lead(term=1, commit=1, log_end=1)
    retry = log.append(5, 1)
    assert state.check(retry) is None  # gone with the data: appended again
    assert state.check(log.headers[0]) == Duplicate(0, 0)  # the committed one still is


def test_a_deposed_leader_reads_replicated_batches_from_its_log():
    log = HeaderLog()
    state = ReplicaProducers(log.read)
    state.lead(term=1, commit=0, log_end=0)
    lead_append(log, state, 5, 0)  # offset 0, in flight
    log.append(6, 0)  # offset 1: replicated from the next leader, not through `appended`
    state.apply_committed(2, -1)  # now a follower
    assert state.leader_term == -1
    assert {p[0] for p in state.snapshot()["producers"]} == {5, 6}
    assert state.committed.applied_offset == 2


def test_overflowing_the_inflight_queue_falls_back_to_the_log(monkeypatch):
    monkeypatch.setattr("core.cluster.producer_state.MAX_INFLIGHT_BATCHES", 2)
    log = HeaderLog()
    state = ReplicaProducers(log.read)
    state.lead(term=1, commit=0, log_end=0)
    for seq in range(5):
        lead_append(log, state, 5, seq)
    state.apply_committed(5, 1)
    assert log.reads == [(0, 5)]  # the oldest were dropped from memory: read back
    assert [b[0] for b in state.snapshot()["producers"][0][2]] == [0, 1, 2, 3, 4]
    log.reads.clear()
    lead_append(log, state, 5, 5)
    state.apply_committed(6, 1)  # caught up: promotion from memory again
    assert log.reads == []


async def test_commit_future_is_the_batch_own_or_a_later_one():
    loop = asyncio.get_running_loop()
    log = HeaderLog()
    state = ReplicaProducers(log.read)
    state.lead(term=1, commit=0, log_end=0)
    first = lead_append(log, state, 5, 0)  # acks=1: no future
    later = loop.create_future()
    lead_append(log, state, 5, 1, done=later)
    assert state.commit_future(first.last_offset) is later
    assert state.commit_future(1) is later
    lead_append(log, state, 5, 2)
    assert state.commit_future(2) is None


def test_a_snapshot_past_the_log_end_is_not_loaded():
    log = HeaderLog()
    log.append(1, 0)
    state = ReplicaProducers(log.read)
    state.load({"applied_offset": 9, "producers": [[1, 0, [[0, 8, 0, 8]]]]}, log_end=1)
    assert state.committed.applied_offset == 0 and len(state.committed) == 0
    state.apply_committed(1, -1)
    assert state.snapshot()["producers"] == [[1, 0, [[0, 0, 0, 0]]]]
