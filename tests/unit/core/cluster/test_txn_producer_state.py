"""Transactions in the replica producer state (ReplicaProducers over an in-memory log): open
and close per producer, the last stable offset with in-flight batches and markers, aborts
reported once committed, epoch bumps and coordinator fencing by markers, snapshots,
truncation and eviction."""

from __future__ import annotations

import dataclasses

import pytest

from core.cluster.errors import ClusterErrc, ClusterError, to_error_code
from core.cluster.producer_state import ReplicaProducers
from core.model.batch import parse_header
from core.model.control import Marker, build_marker_batch
from core.model.records import Record, build_batch
from core.protocol.errors import ErrorCode


class TxnLog:
    """Batch headers and markers at consecutive offsets."""

    def __init__(self) -> None:
        self.entries: list = []  # (header, marker)

    @property
    def end(self) -> int:
        return self.entries[-1][0].last_offset + 1 if self.entries else 0

    def data(self, pid: int, seq: int, n: int = 1, epoch: int = 0, txn: bool = True):
        raw = build_batch(
            [Record(key=None, value=b"v")] * n,
            producer_id=pid,
            producer_epoch=epoch,
            base_sequence=seq,
            transactional=txn,
        )
        return self._add(raw, None)

    def marker(self, pid: int, commit: bool, epoch: int = 0, coordinator_epoch: int = 0):
        marker = Marker(commit, coordinator_epoch)
        return self._add(build_marker_batch(pid, epoch, marker, 1000), marker)

    def _add(self, raw, marker):
        h = dataclasses.replace(parse_header(raw), base_offset=self.end)
        self.entries.append((h, marker))
        return h, marker

    def read(self, start: int, end: int):
        return [(h, m) for h, m in self.entries if start <= h.base_offset < end]

    def truncate(self, offset: int) -> None:
        self.entries = [(h, m) for h, m in self.entries if h.last_offset < offset]


def leader(log: TxnLog, aborts: list):
    state = ReplicaProducers(log.read)
    state.committed.on_abort = lambda *entry: aborts.append(entry)
    state.lead(1, 0, log.end)
    return state


def write(state: ReplicaProducers, entry) -> None:
    h, marker = entry
    if marker is None:
        assert state.check(h) is None
    state.appended(h, h.base_offset, h.last_offset, None, marker)


def test_lso_follows_open_transactions_and_markers_count_once_committed() -> None:
    log, aborts = TxnLog(), []
    state = leader(log, aborts)
    write(state, log.data(1, 0, 2))  # 0-1, txn of 1
    write(state, log.data(9, 0, 1, txn=False))  # 2
    write(state, log.data(2, 0, 1))  # 3, txn of 2
    assert state.last_stable_offset(4) == 0  # the uncommitted transactional batch at 0
    state.apply_committed(4, 1)
    assert state.last_stable_offset(4) == 0  # committed and open
    write(state, log.marker(1, commit=False))  # 4
    assert state.last_stable_offset(4) == 0 and aborts == []  # the marker is not committed
    state.apply_committed(5, 1)
    assert aborts == [(1, 0, 4, 3)]  # LSO after it: producer 2's transaction at 3
    assert state.last_stable_offset(5) == 3
    write(state, log.marker(2, commit=True))  # 5
    state.apply_committed(6, 1)
    assert state.last_stable_offset(6) == 6 and len(aborts) == 1
    infos = {p.producer_id: p for p in state.describe()}
    assert infos[1].current_txn_start_offset == -1 and infos[1].last_sequence == 1


def test_plain_batch_during_open_txn_is_invalid_txn_state() -> None:
    log, aborts = TxnLog(), []
    state = leader(log, aborts)
    write(state, log.data(1, 0))
    h, _ = log.data(1, 1, txn=False)
    with pytest.raises(ClusterError) as info:
        state.check(h)
    assert to_error_code(info.value) is ErrorCode.invalid_txn_state


def test_marker_epoch_bump_fences_and_coordinator_epoch_is_checked() -> None:
    log, aborts = TxnLog(), []
    state = leader(log, aborts)
    write(state, log.data(1, 0, epoch=0))
    state.check_marker(1, 1, 5)
    write(state, log.marker(1, commit=False, epoch=1, coordinator_epoch=5))
    h, _ = log.data(1, 1, epoch=0)
    with pytest.raises(ClusterError) as info:
        state.check(h)
    assert info.value.errc is ClusterErrc.invalid_producer_epoch
    with pytest.raises(ClusterError) as info:
        state.check_marker(1, 0, 5)
    assert info.value.errc is ClusterErrc.invalid_producer_epoch
    with pytest.raises(ClusterError) as info:
        state.check_marker(1, 1, 4)
    assert to_error_code(info.value) is ErrorCode.transaction_coordinator_fenced
    h, _ = log.data(1, 0, epoch=1)  # the new epoch starts over
    assert state.check(h) is None


def test_follower_replay_snapshot_and_new_leader_agree() -> None:
    log, aborts = TxnLog(), []
    log.data(1, 0, 2)
    log.data(2, 0)
    log.marker(1, commit=False)
    log.data(3, 0)
    follower = ReplicaProducers(log.read)
    follower.committed.on_abort = lambda *entry: aborts.append(entry)
    follower.apply_committed(log.end, -1)
    assert aborts == [(1, 0, 3, 2)]
    assert follower.last_stable_offset(log.end) == 2
    snap = follower.snapshot()
    restored = ReplicaProducers(log.read)
    restored.load(snap, log.end)
    assert restored.last_stable_offset(log.end) == 2
    restored.lead(2, log.end, log.end)
    assert {p.producer_id: p.current_txn_start_offset for p in restored.describe()} == {
        1: -1, 2: 2, 3: 4,
    }  # fmt: skip


def test_truncation_forgets_uncommitted_transactions() -> None:
    log, aborts = TxnLog(), []
    state = leader(log, aborts)
    write(state, log.data(9, 0, txn=False))
    state.apply_committed(1, 1)
    write(state, log.data(1, 0))  # 1: uncommitted, then cut
    assert state.last_stable_offset(1) == 1
    log.truncate(1)
    state.truncated(1)
    state.lead(2, 1, log.end)
    assert state.last_stable_offset(1) == 1
    write(state, log.data(2, 0, txn=False))
    state.apply_committed(2, 2)
    assert state.last_stable_offset(2) == 2


def test_eviction_keeps_producers_with_open_transactions(monkeypatch) -> None:
    monkeypatch.setattr("core.cluster.producer_table.MAX_PRODUCERS", 2)
    log, aborts = TxnLog(), []
    state = leader(log, aborts)
    write(state, log.data(1, 0))  # open
    write(state, log.data(2, 0, txn=False))
    write(state, log.data(3, 0, txn=False))
    state.apply_committed(log.end, 1)
    assert {p.producer_id for p in state.committed.describe()} == {1, 3}
