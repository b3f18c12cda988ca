"""LeaderTable: the merge rules and the leaders_update wire format."""

from __future__ import annotations

import pytest

from core.cluster.leaders import Leadership, LeaderTable, decode, encode, merge
from core.common.clock import ManualClock
from core.rpc.frame import FrameError

L = Leadership


@pytest.mark.parametrize(
    ("current", "new", "source", "accepted"),
    [
        (None, L(5, 1, 2), 2, True),  # first news
        (L(5, 3, 1), L(5, 4, 2), 2, True),  # higher term
        (L(5, 4, 2), L(5, 3, 1), 1, False),  # stale term
        (L(5, 9, 1), L(6, 1, 2), 2, True),  # a newer revision (topic re-created) restarts terms
        (L(6, 1, 2), L(5, 9, 1), 1, False),  # a deleted incarnation's news
        (L(5, 3, None), L(5, 3, 2), 0, True),  # the term's leader becomes known
        (L(5, 3, 2), L(5, 3, 2), 2, False),  # nothing new
        (L(5, 3, 2), L(5, 3, 1), 1, False),  # one leader per term: a second claim is refused
        (L(5, 3, 2), L(5, 3, None), 2, True),  # the leader withdraws its own claim
        (L(5, 3, 2), L(5, 3, None), 1, False),  # nobody else may withdraw it
    ],
)
def test_merge(current, new, source, accepted):
    assert merge(current, new, source) is accepted


def test_codec_round_trip_groups_by_topic():
    entries = [
        (("a", 0), L(10, 3, 1)),
        (("b", 7), L(11, 1, None)),
        (("a", 2), L(10, 4, 0)),
        (("ü-topic", 1), L(2**40, 2**40, 2)),
    ]
    source, decoded = decode(encode(4, entries))
    assert source == 4
    assert sorted(decoded) == sorted((t, p, e) for (t, p), e in entries)
    assert decode(encode(1, [])) == (1, [])


@pytest.mark.parametrize("cut", [1, 9, 20])
def test_decode_refuses_truncated_or_trailing_bytes(cut):
    meta = encode(1, [(("topic", 0), L(1, 1, 1))])
    with pytest.raises(FrameError):
        decode(meta[:-cut])
    with pytest.raises(FrameError):
        decode(meta + b"\0" * cut)


async def test_handle_merges_by_the_rules_and_counts_contact():
    clock = ManualClock()
    table = LeaderTable(0, clock=clock, alive_timeout_ms=3_000)
    table.set_local("t", 0, 5, 0, 2)  # we lead t/0 in term 2
    assert not table.is_alive(1)
    await table.handle(encode(1, [(("t", 0), L(5, 1, 1)), (("t", 1), L(5, 4, 1))]), b"")
    assert table.get("t", 0) == L(5, 2, 0)  # their older term lost
    assert table.get("t", 1) == L(5, 4, 1)
    assert table.updates_rejected == 1
    assert table.is_alive(1) and table.is_alive(0)
    clock.advance(3_001)
    assert not table.is_alive(1) and table.is_alive(0)
    await table.handle(encode(2, [(("t", 0), L(5, 3, 2))]), b"")
    assert table.leader_id("t", 0) == 2
    assert table.leader_id("t", 0, revision=6) is None  # known only for another revision


def test_local_changes_accepted_only_when_newer():
    table = LeaderTable(0)
    assert table.set_local("t", 0, 5, 0, 3)
    assert not table.set_local("t", 0, 5, 1, 2)  # our own view went stale: not sent
    assert table.set_local("t", 0, 5, None, 3)  # we stepped down in our own term
    assert table.get("t", 0) == L(5, 3, None)


def test_remove_topic_forgets_it():
    table = LeaderTable(0)
    table.set_local("t", 0, 5, 0, 1)
    table.set_local("u", 0, 6, 0, 1)
    table.remove_topic("t")
    assert table.get("t", 0) is None
    assert [(t, p) for t, p, _ in table.entries()] == [("u", 0)]
