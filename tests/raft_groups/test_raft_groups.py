"""Raft groups over broker RPC (core.cluster.raft_groups): three nodes in one process, each
a real RpcServer on 127.0.0.1, PeerClients, RaftGroups, a GroupCommit flusher and a
Consensus per group over a real DiskLog. Election, acks=all replication, byte-identical
logs, failover keeping every acknowledged entry, many groups sharing raft_batch frames."""

from __future__ import annotations

import asyncio
import time

from core.raft.consensus import QUORUM_ACK, Consensus
from core.raft.errors import RaftErrc, RaftError
from core.raft.state import RaftConfig
from tests.raft_groups.nodes import Node, batch, leader_of, log_bytes, start_nodes, until

VOTERS = (0, 1, 2)
DEFAULTS = RaftConfig()  # election timeout 1.5-3 s, heartbeats every 150 ms


async def _stop(nodes: list[Node]) -> None:
    for node in nodes:
        await node.stop()


async def test_three_nodes_elect_replicate_and_hold_identical_bytes(tmp_path):
    nodes = await start_nodes(tmp_path, 3)
    seen: dict[int, list[tuple[int, int | None]]] = {n.node_id: [] for n in nodes}
    try:
        for n in nodes:
            c = n.add_group(1, VOTERS, DEFAULTS)
            c.add_leader_listener(lambda term, leader, i=n.node_id: seen[i].append((term, leader)))
        elapsed = await until(lambda: leader_of(nodes, 1) is not None, 5, "a leader")
        assert elapsed < 3  # the fresh group's first voter campaigns at its first tick
        leader = leader_of(nodes, 1)
        assert leader is not None and leader.node_id == 0
        pending = [leader.replicate(batch(i), QUORUM_ACK) for i in range(20)]
        await asyncio.wait_for(asyncio.gather(*(p.done for p in pending)), 5)
        end = pending[-1].last_offset + 1
        assert leader.commit_offset == end == leader.visible_offset
        replicas = [n.replicas[1] for n in nodes]
        await until(lambda: all(c.log.flushed_offset == end for c in replicas), 5, "flushed")
        await until(lambda: all(c.commit_offset == end for c in replicas), 5, "follower commit")
        assert len({log_bytes(c, end) for c in replicas}) == 1  # byte-identical, terms too
        assert all(c.term_history == leader.term_history for c in replicas)
        for i, calls in seen.items():  # every node heard who leads, in which term
            assert calls[-1] == (leader.term, 0), (i, calls)
        follower = replicas[1]
        try:
            follower.replicate(batch(99), QUORUM_ACK)
            raise AssertionError("a follower accepted a write")
        except RaftError as exc:
            assert exc.errc == RaftErrc.not_leader
    finally:
        await _stop(nodes)


async def test_a_new_leader_within_seconds_holds_every_acknowledged_entry(tmp_path):
    nodes = await start_nodes(tmp_path, 3)
    try:
        for n in nodes:
            n.add_group(1, VOTERS, DEFAULTS)
        await until(lambda: leader_of(nodes, 1) is not None, 5, "a leader")
        old = leader_of(nodes, 1)
        assert old is not None
        pending = [old.replicate(batch(i), QUORUM_ACK) for i in range(10)]
        await asyncio.wait_for(asyncio.gather(*(p.done for p in pending)), 5)
        acked_end = pending[-1].last_offset + 1
        acked = log_bytes(old, acked_end)
        await nodes[old.node_id].stop()  # its RPC server, RaftGroups and consensus
        stopped = time.monotonic()
        await until(lambda: leader_of(nodes, 1) is not None, 6, "a new leader")
        took_s = time.monotonic() - stopped
        new = leader_of(nodes, 1)
        assert new is not None and new.node_id != old.node_id and new.term > old.term
        assert took_s < 4.0, took_s  # election timeout 1.5-3 s, then prevote and vote
        assert log_bytes(new, acked_end) == acked
        more = new.replicate(batch(50), QUORUM_ACK)  # two of three voters still commit
        assert more.done is not None
        await asyncio.wait_for(more.done, 5)
        assert new.commit_offset == more.last_offset + 1
    finally:
        await _stop(nodes)


async def test_a_hundred_groups_share_one_frame_per_peer_per_tick(tmp_path):
    nodes = await start_nodes(tmp_path, 3)
    groups = range(1, 101)
    try:
        for gid in groups:
            voters = VOTERS[gid % 3 :] + VOTERS[: gid % 3]  # preferred leaders spread
            for n in nodes:
                n.add_group(gid, voters, DEFAULTS)
        await until(lambda: all(leader_of(nodes, g) for g in groups), 10, "100 leaders")
        leaders = {g: leader_of(nodes, g).node_id for g in groups}
        assert sorted(set(leaders.values())) == [0, 1, 2]
        for g in list(groups)[:10]:  # some writes, then idle
            c = leader_of(nodes, g)
            assert c is not None
            done = c.replicate(batch(g), QUORUM_ACK).done
            assert done is not None
            await asyncio.wait_for(done, 5)
        await asyncio.sleep(1.0)
        before = [(n.groups.stats.frames_sent, n.groups.stats.light_sent) for n in nodes]
        window_s = 2.0
        await asyncio.sleep(window_s)
        for n, (frames0, light0) in zip(nodes, before, strict=True):
            sent = n.groups.stats.frames_sent - frames0
            frames = sent / window_s / 2  # per peer per s
            light = n.groups.stats.light_sent - light0
            # one frame per ticker round (20/s) plus the answers to the peer's rounds; sent per
            # group it would be 100 groups x 2 (heartbeat, reply) / 0.15 s = 1,333 per peer
            assert frames <= 45, (n.node_id, frames)
            # idle groups still heartbeat (light heartbeats and acks), many to a frame: a slow
            # ticker on a loaded machine sends fewer rounds, each carrying more groups
            assert sent > 0 and light >= 4 * sent, (n.node_id, light, sent)
            assert n.groups.stats.unknown_group == 0
        assert {g: leader_of(nodes, g).node_id for g in groups} == leaders
    finally:
        await _stop(nodes)


async def test_messages_for_unregistered_groups_are_counted_and_dropped(tmp_path):
    nodes = await start_nodes(tmp_path, 3)
    try:
        for n in nodes[:2]:
            n.add_group(5, VOTERS, DEFAULTS)
        c: Consensus = nodes[0].replicas[5]
        await until(lambda: c.is_leader, 5, "a leader of two voters out of three")
        await until(lambda: nodes[2].groups.stats.unknown_group > 0, 5, "dropped messages")
        assert nodes[2].groups.stats.messages_received >= nodes[2].groups.stats.unknown_group
    finally:
        await _stop(nodes)


async def test_a_restarted_replica_recovers_its_term_and_vote_and_rejoins(tmp_path):
    nodes = await start_nodes(tmp_path, 3)
    try:
        for n in nodes:
            n.add_group(3, VOTERS, DEFAULTS)
        await until(lambda: leader_of(nodes, 3) is not None, 5, "a leader")
        leader = leader_of(nodes, 3)
        assert leader is not None
        done = leader.replicate(batch(1), QUORUM_ACK).done
        assert done is not None
        await asyncio.wait_for(done, 5)
        follower = next(n for n in nodes if n.node_id != leader.node_id)
        old = follower.replicas[3]
        term, voted_for = old.term, old.voted_for
        await until(lambda: old.commit_offset == 1, 5, "the follower's commit")
        follower.groups.unregister(3)
        old.close()
        follower.logs[3].close()
        assert (follower.directory / "g3" / "raft_state.json").exists()
        again = follower.add_group(3, VOTERS, DEFAULTS)  # the same directory
        assert (again.term, again.voted_for) == (term, voted_for)
        assert not again.is_leader and again.commit_offset == 0  # the leader says what is
        await until(lambda: again.commit_offset == 1, 5, "commit learnt from the leader")
        assert again.leader_id == leader.node_id and leader.term == term
    finally:
        await _stop(nodes)
