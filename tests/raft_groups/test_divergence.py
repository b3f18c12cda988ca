"""A leader cut off from its peers keeps appending (acks=1) while the others elect a new
leader; once the links heal, its divergent tail is truncated: its truncate listeners hear
the cut offset, its acks=all waiter and its wait_committed for a cut offset failed (one
added with keep_on_truncate resolves when the new leader's entry there commits), and its
log ends byte-identical to the new leader's. The links go through
tests/support/tcp_proxy.py (one proxy per direction)."""

from __future__ import annotations

import asyncio

from core.raft.consensus import LEADER_ACK, QUORUM_ACK
from core.raft.errors import RaftErrc, RaftError
from tests.raft_groups.nodes import batch, group_over_links, leader_of, log_bytes, until


async def test_an_isolated_leaders_tail_is_truncated_after_healing(tmp_path):
    async with group_over_links(tmp_path) as (nodes, links):
        old = leader_of(nodes, 1)
        assert old is not None
        kept = [old.replicate(batch(i), QUORUM_ACK) for i in range(3)]
        await asyncio.wait_for(asyncio.gather(*(p.done for p in kept)), 5)
        committed = kept[-1].last_offset + 1
        cut: list[int] = []
        old.add_truncate_listener(cut.append)

        links.isolate(old.node_id)  # both ways
        lost = [old.replicate(batch(10 + i), LEADER_ACK) for i in range(2)]
        waiter = old.replicate(batch(20), QUORUM_ACK).done
        assert waiter is not None and old.log.next_offset == committed + 3
        lost_commit = old.wait_committed(committed)  # fails at the cut: its entry is gone
        kept_commit = old.wait_committed(committed, keep_on_truncate=True)  # the new one

        others = [n for n in nodes if n.node_id != old.node_id]
        await until(lambda: leader_of(others, 1) is not None, 10, "a new leader")
        new = leader_of(others, 1)
        assert new is not None and new.term > old.term
        fresh = [new.replicate(batch(30 + i), QUORUM_ACK) for i in range(2)]
        await asyncio.wait_for(asyncio.gather(*(p.done for p in fresh)), 5)
        end = fresh[-1].last_offset + 1
        try:
            await asyncio.wait_for(waiter, 5)
            raise AssertionError("the isolated leader's acks=all write succeeded")
        except RaftError:
            pass  # failed (not_leader when it stepped down, or term_changed at the cut)

        links.heal()
        replica = old  # the old leader's replica, now a follower
        await until(lambda: replica.log.flushed_offset == end, 10, "the old leader caught up")
        assert cut and cut[0] == committed  # its own tail (acks=1, never committed) was cut
        try:
            await asyncio.wait_for(lost_commit, 5)
            raise AssertionError("a wait for a cut entry resolved")
        except RaftError as exc:
            assert exc.errc == RaftErrc.term_changed
        await asyncio.wait_for(kept_commit, 5)  # the new leader's entry there committed
        assert replica.commit_offset > committed
        assert lost[0].base_offset == committed
        assert log_bytes(replica, end) == log_bytes(new, end)
        assert replica.term_history == new.term_history
        assert replica.leader_id == new.node_id
