"""Transactions on a replicated partition (RF 3, three broker processes): every replica builds
its producer state and aborted-transactions index from the committed batches it replicated, so
after a kill -9 of the leader the new leader serves the same last stable offset, the same
aborted transactions and the same read_committed records, and the open transaction it
inherited can still be committed through it. The killed node, restarted, agrees."""

from __future__ import annotations

import time

import pytest

from tests.support.cluster import CLUSTER_PROPERTIES, create_topic, running_cluster
from tests.support.raw_client import RawClient
from tests.support.txn_requests import (
    COMMITTED_BEFORE_C,
    READ_COMMITTED,
    build_history,
    committed_values,
    fetch,
    fetch_all,
    write_markers,
)

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(180)]

TOPIC = "txn3"
SERVE_TIMEOUT_S = 20.0


def serving_client(port: int) -> RawClient:
    """A client of a node once it serves the partition (its term start committed)."""
    deadline = time.monotonic() + SERVE_TIMEOUT_S
    while True:
        client = RawClient(port)
        if fetch(client, TOPIC, 0, 0, READ_COMMITTED).error_code == 0:
            return client
        client.close()
        assert time.monotonic() < deadline, "the partition is not served"
        time.sleep(0.2)


def test_new_leader_after_kill_9_keeps_lso_and_aborted_index(tmp_path):
    with running_cluster(tmp_path / "c", 3, properties=CLUSTER_PROPERTIES) as cluster:
        create_topic(cluster, TOPIC, 1, 3)
        leader = cluster.leader_of(TOPIC, 0)
        client = serving_client(cluster.nodes[leader].kafka_port)
        state = build_history(client, TOPIC)
        before = fetch_all(client, TOPIC, 0, READ_COMMITTED)
        client.close()
        assert before.last_stable_offset == state["c_first"]
        assert committed_values(before) == COMMITTED_BEFORE_C

        cluster.kill(leader)
        others = [n.node_id for n in cluster.nodes if n.node_id != leader]
        new_leader = cluster.leader_of(TOPIC, 0, among=others)
        client = serving_client(cluster.nodes[new_leader].kafka_port)
        try:
            after = fetch_all(client, TOPIC, 0, READ_COMMITTED)
            assert after.last_stable_offset == state["c_first"]
            assert committed_values(after) == COMMITTED_BEFORE_C
            assert sorted(after.aborted) == sorted(before.aborted)
            c_pid, c_epoch = state["c"]
            assert write_markers(client, c_pid, c_epoch, True, [(TOPIC, 0)]) == [0]
            done = fetch_all(client, TOPIC, 0, READ_COMMITTED)
            assert done.last_stable_offset == done.high_watermark
            expected = [*COMMITTED_BEFORE_C, b"c0", b"c1", b"p2"]
            assert committed_values(done) == expected
        finally:
            client.close()

        cluster.restart(leader, crash=True)
        cluster.kill(new_leader)  # the restarted node may now lead: it must agree
        survivors = [n for n in others if n != new_leader] + [leader]
        third = cluster.leader_of(TOPIC, 0, among=survivors)
        client = serving_client(cluster.nodes[third].kafka_port)
        try:
            final = fetch_all(client, TOPIC, 0, READ_COMMITTED)
            assert committed_values(final) == expected
            assert sorted(final.aborted) == sorted(done.aborted) and len(done.aborted) == 2
            assert final.last_stable_offset == final.high_watermark == done.high_watermark
        finally:
            client.close()
