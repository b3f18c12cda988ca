"""RaftCore, driven by hand: what each step asks the driver to persist and send."""

from __future__ import annotations

import random

from core.raft.meta_log import MetaLog
from core.raft.raft import RaftCore
from core.raft.types import (
    HardState,
    Ready,
    TermStart,
    TimeoutNow,
    VoteReply,
    VoteRequest,
)

VOTERS = (0, 1, 2)


def core(node_id: int, *, runs=(), end: int = 0, term: int = -1) -> RaftCore:
    return RaftCore.create(
        node_id,
        VOTERS,
        HardState(term, None, tuple(runs)),
        start_offset=0,
        next_offset=end,
        flushed_offset=end,
        now_ms=0,
        rng=random.Random(node_id),
        reader=lambda offset, max_bytes: [],
    )


def run_until_quiet(nodes: dict[int, RaftCore]) -> list[Ready]:
    """Deliver every message at once, in order; the Readies taken, in order."""
    taken = []
    busy = True
    while busy:
        busy = False
        for n in nodes.values():
            ready = n.take_ready()
            if ready is None:
                continue
            taken.append(ready)
            busy = True
            for msg in ready.messages:
                nodes[msg.dst].step(msg)
    return taken


def test_meta_log_positions_hints_and_truncation() -> None:
    log = MetaLog([TermStart(1, 0, VOTERS), TermStart(3, 5, VOTERS)], 0, 9)
    assert log.has((0, -1)) and log.has((5, 1)) and log.has((5, 3)) and log.has((9, 3))
    assert not log.has((6, 1)) and not log.has((9, 2)) and not log.has((10, 3))
    assert log.hint((20, 2)) == (5, 1)  # the largest position we hold at or below it
    assert log.hint((7, 3)) == (7, 3)
    assert log.term_of_offset(4) == 1 and log.term_of_offset(5) == 3
    log.truncate((5, 1))
    assert log.last == (5, 1) and [r.term for r in log.runs] == [1]


def test_a_granted_vote_is_persisted_in_the_same_ready_as_the_reply() -> None:
    voter = core(1, runs=[TermStart(1, 0, VOTERS)], end=3, term=1)
    voter.step(VoteRequest(0, 1, 2, (3, 1)))
    ready = voter.take_ready()
    assert ready.persist == HardState(2, 0, (TermStart(1, 0, VOTERS),))
    assert ready.messages == [VoteReply(1, 0, 2, True)]


def test_prevote_changes_no_term_and_a_live_leader_keeps_its_followers() -> None:
    voter = core(1, term=4)
    voter.step(VoteRequest(0, 1, 5, (0, -1), prevote=True))
    ready = voter.take_ready()
    assert ready.persist is None and voter.term == 4
    assert ready.messages == [VoteReply(1, 0, 5, True, True)]
    nodes = {i: core(i) for i in VOTERS}
    nodes[0].campaign()
    run_until_quiet(nodes)
    assert nodes[0].is_leader and nodes[0].term == 0
    nodes[2].campaign()  # a follower that hears from the leader asks in vain
    run_until_quiet(nodes)
    assert nodes[0].is_leader and nodes[0].term == 0 and not nodes[2].is_leader


def test_a_new_leader_commits_its_term_start_and_so_its_predecessors_entries() -> None:
    runs = [TermStart(0, 0, VOTERS)]
    nodes = {i: core(i, runs=runs, end=4, term=0) for i in VOTERS}
    nodes[1].campaign()
    readies = run_until_quiet(nodes)
    leader = nodes[1]
    assert leader.is_leader and leader.term == 1 and leader.serving
    assert leader.commit == 4 and leader.visible == 4  # no client write needed
    assert all(n.log.runs[-1] == TermStart(1, 4, VOTERS) for n in nodes.values())
    assert any(r.persist and r.persist.runs[-1].term == 1 for r in readies)


def test_leadership_transfer_sends_timeout_now_to_a_caught_up_target() -> None:
    nodes = {i: core(i) for i in VOTERS}
    nodes[0].campaign()
    run_until_quiet(nodes)
    assert nodes[0].transfer_leadership(2) and not nodes[0].can_propose
    ready = nodes[0].take_ready()
    assert TimeoutNow(0, 2, 0) in ready.messages
    for msg in ready.messages:
        nodes[msg.dst].step(msg)
    run_until_quiet(nodes)
    assert nodes[2].is_leader and nodes[2].term == 1 and not nodes[0].is_leader
