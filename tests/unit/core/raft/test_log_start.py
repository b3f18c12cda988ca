"""The replicated log start offset (core.raft.log_start), RaftCore driven by hand over
in-memory logs: the leader applies a start once a majority holds it, followers apply it
up to their commit, a new leader adopts it from its voters before it serves, and a
follower whose log ends below the leader's start installs a snapshot."""

from __future__ import annotations

import random

from core.raft.raft import RaftCore
from core.raft.types import AppendRequest, Entry, HardState, Ready

VOTERS = (0, 1, 2)


class Node:
    def __init__(self, node_id: int) -> None:
        self.data: dict[int, Entry] = {}  # base offset -> data entry
        self.start = 0
        self.seen: list[tuple[bool, int]] = []  # (serving, applied start) after each Ready
        self.core = RaftCore.create(
            node_id,
            VOTERS,
            HardState(-1, None, ()),
            start_offset=0,
            next_offset=0,
            flushed_offset=0,
            now_ms=0,
            rng=random.Random(node_id),
            reader=self.read,
        )

    def read(self, offset: int, max_bytes: int) -> list[Entry]:
        assert offset >= self.start, ("read below the log start", offset, self.start)
        return [e for b, e in sorted(self.data.items()) if b >= offset]

    def apply(self, ready: Ready) -> None:
        if ready.truncate_to is not None:
            self.data = {b: e for b, e in self.data.items() if b < ready.truncate_to}
        for e in ready.append:
            self.data[e.base] = e
        if ready.start_to is not None:
            assert ready.start_to > self.start
            self.start = ready.start_to
            self.data = {b: e for b, e in self.data.items() if b >= self.start}
        self.seen.append((self.core.serving, self.start))


def run(nodes: dict[int, Node], *, cut: set[int] = frozenset()) -> list[AppendRequest]:
    """Deliver messages (dropping those to or from `cut`), flushing at once; the
    AppendRequests delivered."""
    delivered = []
    busy = True
    while busy:
        busy = False
        for n in nodes.values():
            ready = n.core.take_ready()
            if ready is None:
                continue
            busy = True
            n.apply(ready)
            if ready.flush:
                n.core.on_flushed(n.core.log.next_offset)
            if ready.commit_news:
                n.core.send_commit()
            for msg in ready.messages:
                if msg.dst in cut or msg.src in cut or msg.dst not in nodes:
                    continue
                if isinstance(msg, AppendRequest):
                    delivered.append(msg)
                nodes[msg.dst].core.step(msg)
    return delivered


def write(leader: Node, count: int) -> None:
    for _ in range(count):
        base = leader.core.log.next_offset
        entry = Entry(leader.core.term, base, base, b"x%d" % base)
        leader.data[base] = entry
        leader.core.on_local_append(base + 1, True)
        leader.core.on_flushed(base + 1)


def cluster() -> dict[int, Node]:
    nodes = {i: Node(i) for i in VOTERS}
    nodes[0].core.campaign(transfer=True)
    run(nodes)
    assert nodes[0].core.serving
    write(nodes[0], 10)
    run(nodes)
    assert all(n.core.commit == 10 for n in nodes.values())
    return nodes


def test_the_leader_applies_a_start_once_a_majority_holds_it() -> None:
    nodes = cluster()
    leader = nodes[0]
    run(nodes)
    leader.core.propose_start(5)
    ready = leader.core.take_ready()
    assert ready is not None and ready.start_to is None  # not before a majority has it
    leader.apply(ready)
    assert leader.core.start_goal == 5 and leader.start == 0
    for msg in ready.messages:
        assert isinstance(msg, AppendRequest) and msg.start == 5
        if msg.dst == 1:
            nodes[1].core.step(msg)
    run(nodes, cut={2})
    assert (leader.start, nodes[1].start, nodes[2].start) == (5, 5, 0)
    run(nodes)  # node 2 hears the start at the next request
    leader.core.heartbeat_round()
    run(nodes)
    assert nodes[2].start == 5 and nodes[2].core.log.start_offset == 5


def test_a_follower_applies_the_start_only_up_to_its_commit() -> None:
    nodes = cluster()
    leader = nodes[0]
    write(leader, 5)  # offsets 10..14, not yet replicated
    leader.core.propose_start(12)
    ready = leader.core.take_ready()
    assert ready is not None and any(m.start == 12 for m in ready.messages)
    follower = nodes[1].core
    follower.step(AppendRequest(0, 1, leader.core.term, (10, 0), (), 10, 10, 99, 12))
    nodes[1].apply(follower.take_ready())
    assert nodes[1].start == 10 and follower.log.start_offset == 10  # its commit


def test_a_new_leader_adopts_the_start_from_its_voters_before_it_serves() -> None:
    nodes = cluster()
    nodes[0].core.propose_start(5)
    run(nodes, cut={2})
    assert (nodes[0].start, nodes[1].start, nodes[2].start) == (5, 5, 0)
    del nodes[0]  # the leader dies; node 2 (which never heard of 5) wins the election
    nodes[2].core.campaign(transfer=True)
    new = nodes[2]
    new.seen.clear()
    run(nodes)
    assert new.core.serving and new.core.term > 0
    # every Ready taken while serving had the start applied: no client saw 0 from it
    assert new.seen and all(start == 5 for serving, start in new.seen if serving)
    assert new.core.log.start_offset == 5 and new.start == 5


def test_a_follower_behind_the_start_installs_a_snapshot() -> None:
    nodes = cluster()
    leader = nodes[0]
    write(leader, 10)  # 10..19 while node 2 is cut off
    run(nodes, cut={2})
    leader.core.propose_start(15)
    run(nodes, cut={2})
    assert leader.start == 15 and nodes[2].core.log.next_offset == 10
    leader.core.heartbeat_round()
    delivered = run(nodes)
    assert any(m.snapshot and m.dst == 2 and m.prev[0] == 15 for m in delivered)
    follower = nodes[2]
    assert follower.start == 15 and follower.core.log.start_offset == 15
    assert sorted(follower.data) == list(range(15, 20))
    assert follower.data == leader.data
    assert follower.core.commit == 20
    assert follower.core.log.term_of_offset(14) == leader.core.log.term_of_offset(14)


def test_the_start_and_a_snapshot_cross_the_wire() -> None:
    from core.raft.types import AppendReply, TermStart, VoteReply
    from core.rpc.raft_codec import decode, encode

    runs = (TermStart(1, 0, VOTERS), TermStart(3, 7, (0, 2)))
    messages = [
        AppendRequest(0, 1, 4, (12, 3), (), 20, 20, 5, 12, runs),
        AppendRequest(0, 1, 4, (20, 4), (), 20, 20, 6, 12),
        AppendReply(1, 0, 4, True, (20, 4), 20, 20, 6, 12),
        VoteReply(1, 0, 4, True, False, 12),
    ]
    for m in messages:
        meta, blob = encode(7, m)
        assert decode(meta, b"".join(bytes(b) for b in blob)) == (7, m)
    plain, _ = encode(7, AppendRequest(0, 1, 4, (20, 4), (), 20, 20, 6))
    started, _ = encode(7, messages[1])
    assert len(started) == len(plain) + 12  # a log starting at 0 costs heartbeats nothing
