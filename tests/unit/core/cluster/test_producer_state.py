"""Idempotent-producer sequence rules, as Kafka applies them."""

from __future__ import annotations

import pytest

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.producer_state import BATCHES_REMEMBERED, Duplicate, ProducerStateTable
from core.model.batch import parse_header
from core.model.records import Record, build_batch


def header(pid: int, epoch: int, seq: int, n: int = 1):
    return parse_header(
        build_batch(
            [Record(key=None, value=b"v")] * n,
            producer_id=pid,
            producer_epoch=epoch,
            base_sequence=seq,
        )
    )


def append(table: ProducerStateTable, h, base: int) -> int:
    assert table.check(h) is None
    table.record(h, base, base + h.last_offset_delta)
    return base + h.last_offset_delta + 1


def test_sequence_must_continue_and_duplicates_return_first_offsets():
    t = ProducerStateTable()
    nxt = append(t, header(7, 0, 0, 3), 0)
    nxt = append(t, header(7, 0, 3, 2), nxt)
    assert t.check(header(7, 0, 0, 3)) == Duplicate(0, 2)
    assert t.check(header(7, 0, 3, 2)) == Duplicate(3, 4)
    with pytest.raises(ClusterError) as info:
        t.check(header(7, 0, 9))
    assert info.value.errc is ClusterErrc.out_of_order_sequence


def test_only_the_last_five_batches_are_remembered():
    t = ProducerStateTable()
    nxt = 0
    for seq in range(BATCHES_REMEMBERED + 2):
        nxt = append(t, header(1, 0, seq), nxt)
    assert t.check(header(1, 0, 6)) == Duplicate(6, 6)
    with pytest.raises(ClusterError):
        t.check(header(1, 0, 0))  # forgotten: no longer a duplicate, and out of order


def test_epochs_fence_and_restart_sequences():
    t = ProducerStateTable()
    append(t, header(1, 3, 0), 0)
    with pytest.raises(ClusterError) as info:
        t.check(header(1, 2, 1))
    assert info.value.errc is ClusterErrc.invalid_producer_epoch
    with pytest.raises(ClusterError):
        t.check(header(1, 4, 5))  # a new epoch starts at sequence 0
    append(t, header(1, 4, 0), 1)


def test_unknown_producer_accepted_at_any_sequence_and_wraparound():
    t = ProducerStateTable()
    nxt = append(t, header(9, 0, 2**31 - 1), 0)
    append(t, header(9, 0, 0), nxt)  # int32 wraparound continues the sequence


def test_snapshot_and_clone_round_trip():
    t = ProducerStateTable()
    nxt = append(t, header(2, 0, 0, 2), 0)
    append(t, header(2, 0, 2, 2), nxt)
    copy = ProducerStateTable()
    copy.load(t.snapshot())
    assert copy.applied_offset == 4 and copy.check(header(2, 0, 2, 2)) == Duplicate(2, 3)
    clone = t.clone()
    append(clone, header(2, 0, 4), 4)  # the clone moves on, the original does not
    assert clone.check(header(2, 0, 4)) == Duplicate(4, 4)
    assert t.check(header(2, 0, 4)) is None and t.applied_offset == 4


def test_an_epoch_bump_makes_the_producer_most_recently_used(monkeypatch):
    monkeypatch.setattr("core.cluster.producer_table.MAX_PRODUCERS", 2)
    t = ProducerStateTable()
    append(t, header(1, 0, 0), 0)
    append(t, header(2, 0, 0), 1)
    append(t, header(1, 1, 0), 2)  # producer 1 bumps its epoch: now the most recent
    append(t, header(3, 0, 0), 3)  # evicts producer 2, the least recently used
    assert t.check(header(1, 1, 0)) == Duplicate(2, 2)
    assert t.check(header(2, 0, 5)) is None  # unknown again: any sequence
