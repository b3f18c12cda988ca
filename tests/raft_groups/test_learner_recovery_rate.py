"""raft_learner_recovery_rate over real broker RPC (in-process nodes, tests/raft_groups/nodes.py):
a learner catching up takes at most the rate from its leader's node, while the voters keep
acknowledging acks=all writes; the rate is the cluster property, read live by RaftGroups."""

from __future__ import annotations

import asyncio
import time

from core.raft.consensus import QUORUM_ACK
from core.raft.recovery_throttle import RecoveryThrottle
from core.raft.state import RaftConfig
from tests.raft_groups.nodes import batch, leader_of, start_nodes, until

GROUP = 3
RATE_BYTES_S = 400_000  # with 0 (unlimited) the learner caught up in 0.06 s here
BATCH_BYTES = 8_000
# Raft's default timeouts (1.5-3 s elections, 150 ms heartbeats): with faster ones a loaded CI
# machine saw the leader lose its term while the 1.2 MB was being written
CONFIG = RaftConfig()


def test_the_bucket_holds_the_rate_on_average():
    t = RecoveryThrottle(1000)
    assert t.take(0, 1500)  # one second's worth, and a request is never split
    assert not t.take(100, 10)  # 600 bytes of debt, 100 refilled
    assert not t.take(500, 10)
    assert t.take(700, 10)  # refilled past zero
    assert t.throttled == 2 and t.sent_bytes == 1510
    t.rate_bytes_s = 0
    assert t.take(701, 10**9)  # 0: unlimited


async def test_a_learner_catches_up_at_the_raft_learner_recovery_rate(tmp_path):
    nodes = await start_nodes(tmp_path, 4)
    settings = {
        "raft_election_timeout_ms": CONFIG.election_timeout_ms,
        "raft_heartbeat_interval_ms": CONFIG.heartbeat_interval_ms,
        "raft_learner_recovery_rate": RATE_BYTES_S,
    }
    try:
        for node in nodes:
            node.groups.use_config(settings.__getitem__)
        for node in nodes[:3]:
            node.add_group(GROUP, (0, 1, 2), CONFIG)
        await until(lambda: leader_of(nodes, GROUP) is not None, 15, "a leader")
        leader = leader_of(nodes, GROUP)
        assert leader is not None
        for tag in range(150):  # 1.2 MB the learner lacks
            leader.replicate(batch(tag, BATCH_BYTES), QUORUM_ACK)
        end = leader.log.next_offset
        await until(lambda: leader.commit_offset >= end, 10, "the voters commit")
        throttle = nodes[leader.node_id].groups.learner_throttle
        assert throttle.rate_bytes_s == RATE_BYTES_S
        others = [n for n in (0, 1, 2) if n != leader.node_id]
        change = asyncio.get_running_loop().create_task(
            leader.change_voters([leader.node_id, others[0], 3], timeout_ms=30_000)
        )
        learner = nodes[3].add_group(GROUP, (0, 1, 2), CONFIG)
        began = time.monotonic()
        acked_meanwhile = 0
        while learner.log.next_offset < end:  # voters are never throttled
            more = leader.replicate(batch(1000 + acked_meanwhile), QUORUM_ACK)
            assert more.done is not None
            await asyncio.wait_for(more.done, 5)
            acked_meanwhile += 1
            await asyncio.sleep(0.05)
            assert time.monotonic() - began < 20, "the learner never caught up"
        took_s = time.monotonic() - began
        print("learner caught up in", round(took_s, 2), "s")
        # a second's worth of burst, then the rate: (1.2 MB - 0.4 MB) / 0.4 MB/s = 2 s at least
        assert took_s >= 1.5, took_s
        assert throttle.throttled > 0 and throttle.sent_bytes >= 150 * BATCH_BYTES
        assert acked_meanwhile >= 5
        settings["raft_learner_recovery_rate"] = 100 * 1024 * 1024  # live: back to the default
        await until(lambda: throttle.rate_bytes_s == 100 * 1024 * 1024, 2, "the new rate")
        await asyncio.wait_for(change, 30)
        assert sorted(leader_of(nodes, GROUP).voters) == sorted([leader.node_id, others[0], 3])  # type: ignore[union-attr]
    finally:
        for node in nodes:
            await node.stop()
