"""Producer state across a Raft snapshot, on three broker processes (RF 3).

Follower F is killed before anything is written. Meanwhile: idempotent producer P writes three
batches, a confluent-kafka idempotent producer writes filler, and the log start moves past
P's batches, by DeleteRecords (inside a batch) or by retention; producer T's transaction is
open (below the start with DeleteRecords; retention never passes the LSO, so there T opens it
after), and producer A's transaction is written and aborted above the start. F restarts: its
log ends below the leader's start, so it installs the leader's snapshot, which carries the
producer state (core.cluster.producer_snapshot). The leader is killed (-9) and F is made the
leader. On F:

* a retry of P's last batch is a duplicate, answered with its original offset (without the
  state it would be appended again as an unknown producer's batch);
* T's transaction is still open: the last stable offset stays where it held it while records
  are added after it, and moves to the high watermark once T's COMMIT marker is written;
* A's aborted transaction, whose batches F's producer table holds through the snapshot (it
  skips them when they arrive), is in the aborted list a read_committed fetch gets.

F restarted once more (crash) still agrees: the installed state was persisted with the start.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.leadership.support import admin
from tests.support.cluster import CLUSTER_PROPERTIES, create_topic, running_cluster
from tests.support.raw_client import RawClient
from tests.support.txn_requests import (
    READ_COMMITTED,
    Fetched,
    committed_values,
    fetch,
    init_producer_id,
    list_offset,
    produce,
    txn_batch,
    write_markers,
)
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(240)]

TOPIC = "pstate"
START_KEY = "storage.start_offset"
PROPERTIES = dict(CLUSTER_PROPERTIES, enable_leader_balancer=False)
SERVE_TIMEOUT_S = 30.0
OFFSET_OUT_OF_RANGE = 1  # a leader whose log starts past 0 serves it too
RETENTION = {"segment.bytes": "4096", "retention.bytes": "8192"}
RETENTION_PROPERTIES = {"log_compaction_interval_ms": 300, "log_segment_size_min": 1024}


def serving_client(port: int) -> RawClient:
    """A client of a node once it serves the partition as leader."""
    deadline = time.monotonic() + SERVE_TIMEOUT_S
    while True:
        client = RawClient(port)
        if fetch(client, TOPIC, 0, 0, READ_COMMITTED).error_code in (0, OFFSET_OUT_OF_RANGE):
            return client
        client.close()
        assert time.monotonic() < deadline, "the partition is not served"
        time.sleep(0.2)


def fetch_from(client: RawClient, offset: int) -> Fetched:
    """read_committed from `offset` up to the LSO, batches and aborted lists joined."""
    batches, aborted = [], []
    while True:
        got = fetch(client, TOPIC, 0, offset, READ_COMMITTED)
        assert got.error_code == 0, got
        if not got.batches:
            return Fetched(0, got.high_watermark, got.last_stable_offset, aborted, batches)
        batches += got.batches
        aborted += [a for a in got.aborted or () if a not in aborted]
        offset = got.batches[-1][0].last_offset + 1


def kvstore(cluster, node: int) -> dict:
    directory = cluster.partition_dirs(TOPIC, 0)[node]
    try:
        return json.loads((directory / "kvstore.json").read_text())
    except (OSError, ValueError):
        return {}


def confluent_filler(cluster, n: int, one_per_batch: bool = False) -> None:
    from confluent_kafka import Producer

    config = {"bootstrap.servers": cluster.bootstrap, "enable.idempotence": True, "acks": "all"}
    if one_per_batch:  # segments roll between batches
        config["batch.num.messages"] = 1
    producer = Producer(config)
    failures: list[str] = []
    for i in range(n):
        producer.produce(
            TOPIC, b"f%d" % i + b"x" * 500, partition=0,
            on_delivery=lambda err, _m: failures.append(str(err)) if err else None,
        )  # fmt: skip
    assert producer.flush(30) == 0 and not failures, failures[:3]


def confluent_transaction(cluster):
    """A confluent-kafka transactional producer with a transaction open on the partition."""
    from confluent_kafka import Producer

    producer = Producer(
        {"bootstrap.servers": cluster.bootstrap, "transactional.id": "pstate-t",
         "transaction.timeout.ms": 120_000}
    )  # fmt: skip
    producer.init_transactions(30)
    producer.begin_transaction()
    producer.produce(TOPIC, b"t0", partition=0)
    assert producer.flush(30) == 0
    return producer


def delete_records(cluster, offset: int) -> int:
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import AdminClient

    client = AdminClient({"bootstrap.servers": cluster.bootstrap})
    futures = client.delete_records([TopicPartition(TOPIC, 0, offset)], request_timeout=20)
    return int(futures[TopicPartition(TOPIC, 0)].result(30).low_watermark)


def make_leader(cluster, target: int) -> None:
    current = cluster.leader_of(TOPIC, 0)
    if current != target:
        path = f"/v1/partitions/kafka/{TOPIC}/0/transfer_leadership?target={target}"
        assert admin("POST", cluster.nodes[current].admin_port, path)[0] == 200
    cluster.leader_of(TOPIC, 0, among=[target])


def wait_start_past(cluster, node: int, offset: int) -> int:
    """The leader's log start once retention moved it past `offset`."""

    def probe() -> int | None:
        client = RawClient(cluster.nodes[node].kafka_port)
        try:
            earliest = list_offset(client, TOPIC, 0, READ_COMMITTED, timestamp=-2)
        finally:
            client.close()
        return earliest if earliest > offset else None

    return int(wait_for(probe, "retention to move the start", 60))


@pytest.mark.parametrize("mover", ["delete_records", "retention"])
def test_snapshot_carries_producer_state_across_failover(tmp_path, mover):
    """DeleteRecords: T's transaction and P's batches are below the new start. Retention
    (never past the LSO) moves it past P's batches; T's transaction opens after, among the
    batches the follower's table holds through the snapshot and skips."""
    retention = mover == "retention"
    properties = dict(PROPERTIES, **(RETENTION_PROPERTIES if retention else {}))
    with running_cluster(tmp_path / "c", 3, properties=properties) as cluster:
        create_topic(cluster, TOPIC, 1, 3, RETENTION if retention else None)
        leader = cluster.leader_of(TOPIC, 0)
        follower = (leader + 1) % 3
        cluster.kill(follower)

        client = serving_client(cluster.nodes[leader].kafka_port)
        t_pid, t_epoch = init_producer_id(client)
        p_pid, p_epoch = init_producer_id(client)
        a_pid, a_epoch = init_producer_id(client)
        if not retention:
            assert produce(client, TOPIC, 0, txn_batch(t_pid, t_epoch, 0, [b"t0"])) == (0, 0)
        p_batches = [
            txn_batch(
                p_pid, p_epoch, 2 * i, [b"p%d" % (2 * i), b"p%d" % (2 * i + 1)], transactional=False
            )  # fmt: skip
            for i in range(3)
        ]
        p_offsets = []
        for batch in p_batches:
            code, base = produce(client, TOPIC, 0, batch, transactional_id=None)
            assert code == 0
            p_offsets.append(base)
        client.close()
        if retention:
            confluent_filler(cluster, 40, one_per_batch=True)
            start = wait_start_past(cluster, leader, p_offsets[-1] + 1)
        else:
            confluent_filler(cluster, 5)
            start = p_offsets[-1] + 3  # past T's and P's batches, into the filler's batch
            assert delete_records(cluster, start) == start

        if retention:  # T: a confluent-kafka transactional producer, its commit after failover
            t_producer = confluent_transaction(cluster)
            commit_t = lambda _client: t_producer.commit_transaction(60)  # noqa: E731
        else:
            commit_t = lambda client: (  # noqa: E731
                write_markers(client, t_pid, t_epoch, True, [(TOPIC, 0)]) == [0] or pytest.fail()
            )
        client = serving_client(cluster.nodes[leader].kafka_port)
        code, a_first = produce(client, TOPIC, 0, txn_batch(a_pid, a_epoch, 0, [b"a0", b"a1"]))
        assert code == 0 and a_first >= start
        assert write_markers(client, a_pid, a_epoch, False, [(TOPIC, 0)]) == [0]
        held = fetch(client, TOPIC, 0, start, READ_COMMITTED).last_stable_offset
        assert start <= held < a_first  # T's transaction holds it
        client.close()

        cluster.restart(follower, crash=True)
        wait_for(
            lambda: (
                kvstore(cluster, follower).get(START_KEY, 0) >= start
                and kvstore(cluster, follower).get("producer_state", {}).get("applied_offset", 0)
                > a_first
            ),
            "the follower installs the snapshot",
            30,
        )
        cluster.kill(leader)
        make_leader(cluster, follower)
        check_follower_serves(cluster, follower, held, p_batches[-1], p_offsets[-1], a_pid,
                              a_first, commit_t, retention)  # fmt: skip

        cluster.restart(leader, crash=True)  # killed above: back first (restarts wait for all)
        cluster.restart(follower, crash=True)
        make_leader(cluster, follower)
        client = serving_client(cluster.nodes[follower].kafka_port)
        try:
            code, base = produce(client, TOPIC, 0, p_batches[-1], transactional_id=None)
            assert (code, base) == (0, p_offsets[-1])  # still a duplicate after a restart
            got = fetch_from(client, earliest(client))
            assert (a_pid, a_first) in got.aborted and got.last_stable_offset == got.high_watermark
        finally:
            client.close()


def earliest(client: RawClient) -> int:
    return list_offset(client, TOPIC, 0, READ_COMMITTED, timestamp=-2)


def check_follower_serves(
    cluster, node, held, p_last, p_last_offset, a_pid, a_first, commit_t, t_visible
):
    client = serving_client(cluster.nodes[node].kafka_port)
    try:
        code, base = produce(client, TOPIC, 0, p_last, transactional_id=None)
        assert (code, base) == (0, p_last_offset), "P's retry is a duplicate"
        plain_pid, plain_epoch = init_producer_id(client)
        code, _ = produce(
            client, TOPIC, 0,
            txn_batch(plain_pid, plain_epoch, 0, [b"x0"], transactional=False),
            transactional_id=None,
        )  # fmt: skip
        assert code == 0
        got = fetch(client, TOPIC, 0, earliest(client), READ_COMMITTED)
        assert got.last_stable_offset == held < got.high_watermark, "T's transaction is open"
        commit_t(client)
        done = wait_for(
            lambda: (
                (d := fetch_from(client, earliest(client))).last_stable_offset == d.high_watermark
                and d
            ),
            "T's commit",
            60,
        )
        assert (a_pid, a_first) in done.aborted, "A's abort travelled"
        values = committed_values(done)
        assert b"a0" not in values and b"x0" in values
        assert (b"t0" in values) == t_visible  # below the start after DeleteRecords
    finally:
        client.close()
