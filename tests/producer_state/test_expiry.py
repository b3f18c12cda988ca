"""Partition producer expiry on a real broker (Redpanda's names and meaning: an idle producer's
state is forgotten after `transactional_id_expiration_ms`, and a partition keeps at most
`max_concurrent_producer_ids` producers). Idleness is measured on the log's clock, the batch
timestamps (core.cluster.producer_table), so every replica forgets the same producers at the
same offset; a producer with an open transaction is never forgotten."""

from __future__ import annotations

import time

import pytest

from core.model.records import Record, build_batch
from core.testing.process import BrokerProcess
from tests.support.raw_client import RawClient
from tests.support.topics import make_topic
from tests.support.txn_requests import describe_producers, init_producer_id, produce

EXPIRATION_MS = 60_000
MAX_IDS = 3


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = BrokerProcess(
        tmp_path_factory.mktemp("expiry") / "broker",
        "--set", f"transactional_id_expiration_ms={EXPIRATION_MS}",
        "--set", f"max_concurrent_producer_ids={MAX_IDS}",
        die_with_parent=True,
    ).start()  # fmt: skip
    try:
        yield b
    finally:
        b.stop()
        log = b.log_text()
        assert "Traceback" not in log, log[-4000:]


def batch(pid: int, epoch: int, seq: int, ts_ms: int, *, txn: bool = False) -> bytearray:
    return build_batch(
        [Record(key=None, value=b"v%d" % seq, timestamp_ms=ts_ms)],
        producer_id=pid, producer_epoch=epoch, base_sequence=seq, transactional=txn,
    )  # fmt: skip


def listed(client: RawClient, topic: str) -> set[int]:
    row = describe_producers(client, topic, 0)
    assert row.error_code == 0, row
    return {p.producer_id for p in row.active_producers}


def send(client: RawClient, topic: str, data: bytearray, txn: bool = False) -> int:
    code, base = produce(client, topic, 0, data, transactional_id="t" if txn else None)
    assert code == 0, code
    return base


def test_idle_producers_expire_by_log_time_unless_in_a_transaction(broker):
    make_topic(broker.bootstrap, "expiry")
    client = RawClient(broker.kafka_port)
    try:
        now = int(time.time() * 1000)
        old = now - 10 * EXPIRATION_MS
        (idle, e1), (open_txn, e2), (active, e3) = (init_producer_id(client) for _ in range(3))
        first = send(client, "expiry", batch(idle, e1, 0, old))
        send(client, "expiry", batch(open_txn, e2, 0, old, txn=True), txn=True)
        assert listed(client, "expiry") == {idle, open_txn}
        send(client, "expiry", batch(active, e3, 0, now))  # the log's clock moves 10 min on
        assert listed(client, "expiry") == {open_txn, active}
        # the idle producer's retry is no duplicate any more: written again (Kafka's behaviour
        # for a producer whose state expired)
        again = send(client, "expiry", batch(idle, e1, 0, old))
        assert again > first
        # a batch of the active one is still recognised
        assert send(client, "expiry", batch(active, e3, 0, now)) == 2
    finally:
        client.close()


def test_max_concurrent_producer_ids_evicts_the_least_recently_used(broker):
    make_topic(broker.bootstrap, "crowd")
    client = RawClient(broker.kafka_port)
    try:
        now = int(time.time() * 1000)
        pids = [init_producer_id(client) for _ in range(MAX_IDS + 2)]
        txn_pid, txn_epoch = pids[0]
        send(client, "crowd", batch(txn_pid, txn_epoch, 0, now, txn=True), txn=True)
        for pid, epoch in pids[1:]:
            send(client, "crowd", batch(pid, epoch, 0, now))
        # the open transaction's producer stays although least recently used; the others
        # beyond the limit went, oldest first
        assert listed(client, "crowd") == {txn_pid, pids[-2][0], pids[-1][0]}
    finally:
        client.close()


@pytest.mark.cluster
@pytest.mark.timeout(120)
def test_every_replica_forgets_the_same_producers(tmp_path):
    """Three processes: after the leader forgot an idle producer, a new leader (kill -9)
    lists the same producers: its replica forgot the same one at the same batch."""
    from tests.support.cluster import CLUSTER_PROPERTIES, create_topic, running_cluster

    properties = dict(CLUSTER_PROPERTIES, transactional_id_expiration_ms=EXPIRATION_MS)
    with running_cluster(tmp_path / "c", 3, properties=properties) as cluster:
        create_topic(cluster, "expiry3", 1, 3)
        leader = cluster.leader_of("expiry3", 0)
        client = serving(cluster.nodes[leader].kafka_port, "expiry3")
        try:
            now = int(time.time() * 1000)
            old = now - 10 * EXPIRATION_MS
            (idle, e1), (open_txn, e2), (active, e3) = (init_producer_id(client) for _ in range(3))
            send(client, "expiry3", batch(idle, e1, 0, old))
            send(client, "expiry3", batch(open_txn, e2, 0, old, txn=True), txn=True)
            send(client, "expiry3", batch(active, e3, 0, now))
            assert listed(client, "expiry3") == {open_txn, active}
        finally:
            client.close()
        cluster.kill(leader)
        others = [n for n in range(3) if n != leader]
        new_leader = cluster.leader_of("expiry3", 0, among=others)
        client = serving(cluster.nodes[new_leader].kafka_port, "expiry3")
        try:
            assert listed(client, "expiry3") == {open_txn, active}
            assert send(client, "expiry3", batch(idle, e1, 0, old)) == 3  # not a duplicate of 0
        finally:
            client.close()


def serving(port: int, topic: str) -> RawClient:
    """A client of the node once it answers DescribeProducers for the partition as leader."""
    deadline = time.monotonic() + 30
    while True:
        client = RawClient(port)
        if describe_producers(client, topic, 0).error_code == 0:
            return client
        client.close()
        assert time.monotonic() < deadline, "the partition is not served"
        time.sleep(0.2)
