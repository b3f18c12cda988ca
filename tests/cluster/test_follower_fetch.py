"""Follower fetching (KIP-392) on real brokers: three nodes in racks a, b and c, a topic of
replication factor 3, `enable_rack_awareness` on. The leader answers a Fetch v11 from a
consumer in a follower's rack with that follower as preferred read replica and no records;
the follower serves it up to its high watermark; a confluent-kafka consumer with `client.rack`
reads everything produced (exact values, in order) from the follower (its bytes-fetched
counter moves, the leader's does not). Switched off live: the leader serves every consumer
and a follower answers NOT_LEADER_OR_FOLLOWER again."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from kio.schema.errors import ErrorCode
from prometheus_client.parser import text_string_to_metric_families

from core.model.records import iter_batches
from tests.balancer.test_rack_awareness import _set_everywhere, rack_cluster
from tests.support.cluster import BrokerCluster
from tests.support.cluster import create_topic as create_cluster_topic
from tests.support.raw_client import RawClient, fetch_v11
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(240)]

RACKS = {0: "a", 1: "b", 2: "c"}
PROPERTY = "enable_rack_awareness"
TOPIC = "closest"
FETCHED = "vectorized_cluster_partition_bytes_fetched_total"


def _fetch(port: int, offset: int, rack: str, *, isolation_level: int = 0, max_wait_ms: int = 0):
    """One Fetch v11 of TOPIC/0 from a consumer in `rack` ("" none); its partition answer."""
    request = dataclasses.replace(
        fetch_v11(TOPIC, offset=offset),
        rack_id=rack,
        isolation_level=isolation_level,
        max_wait=datetime.timedelta(milliseconds=max_wait_ms),
    )
    client = RawClient(port)
    try:
        response = client.request(request)
    finally:
        client.close()
    assert response.error_code == ErrorCode.none
    return response.responses[0].partitions[0]


def _values(records: bytes | None, start: int = 0) -> list[bytes]:
    """The values at offsets from `start` (a fetch answers whole batches)."""
    return [
        r.value
        for _h, recs in iter_batches(records or b"")
        for r in recs
        if r.value and r.offset is not None and r.offset >= start
    ]


def _produce(cluster: BrokerCluster, values: list[bytes]) -> None:
    from confluent_kafka import Producer

    producer = Producer(
        {"bootstrap.servers": cluster.bootstrap, "acks": "all", "enable.idempotence": True}
    )
    failures: list[str] = []
    for value in values:
        producer.produce(
            TOPIC, value, on_delivery=lambda e, _m: failures.append(str(e)) if e else None
        )
    assert producer.flush(60) == 0 and not failures, failures[:3]


def _fetched_bytes(cluster: BrokerCluster, node: int) -> float:
    url = f"http://127.0.0.1:{cluster.nodes[node].admin_port}/metrics"
    with urllib.request.urlopen(url, timeout=5.0) as resp:
        text = resp.read().decode()
    total = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == FETCHED and s.labels.get("topic") == TOPIC:
                total += s.value
    return total


def _consume(
    cluster: BrokerCluster, rack: str, n: int, more=None, isolation: str = "read_uncommitted"
) -> list[bytes]:
    """A consumer in `rack` reads until it has `n` values, then finds nothing more; `more()`
    runs once it has read the first ones (producing the rest while it fetches)."""
    from confluent_kafka import Consumer

    consumer = Consumer(
        {
            "bootstrap.servers": cluster.bootstrap,
            "group.id": f"closest-{isolation}",
            "auto.offset.reset": "earliest",
            "client.rack": rack,
            "isolation.level": isolation,
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([TOPIC])
    out: list[bytes] = []
    producer: threading.Thread | None = None

    def poll() -> int:
        nonlocal producer
        for msg in consumer.consume(num_messages=1000, timeout=0.5):
            assert msg.error() is None, msg.error()
            out.append(msg.value() or b"")
        if out and more is not None and producer is None:
            producer = threading.Thread(target=more)
            producer.start()
        return len(out)

    try:
        wait_for(lambda: poll() >= n, f"{n} values ({isolation}) from rack {rack}", 90)
        assert not consumer.consume(num_messages=10, timeout=1.0)  # no duplicate, no abort
    finally:
        consumer.close()
        if producer is not None:
            producer.join(60)
    return out


@contextlib.contextmanager
def _racks_on(base: Path, pick=min) -> Iterator[tuple[BrokerCluster, int, int]]:
    """The cluster with the property on and TOPIC (RF 3): (cluster, leader, a follower)."""
    with rack_cluster(base, RACKS, **{PROPERTY: True}) as cluster:
        create_cluster_topic(cluster, TOPIC, 1, 3)
        leader = cluster.leader_of(TOPIC, 0)
        yield cluster, leader, pick(n for n in RACKS if n != leader)


def test_a_consumer_reads_from_the_follower_in_its_rack(tmp_path):
    with _racks_on(tmp_path / "cluster") as (cluster, leader, follower):
        rack = RACKS[follower]
        first = [b"v%d" % i for i in range(300)]
        rest = [b"v%d" % i for i in range(300, 600)]
        _produce(cluster, first)
        leader_port = cluster.nodes[leader].kafka_port
        follower_port = cluster.nodes[follower].kafka_port

        # the leader names the follower in the client's rack, with no records
        answer = _fetch(leader_port, 0, rack)
        assert answer.error_code == ErrorCode.none
        assert answer.preferred_read_replica == follower
        assert answer.records in (b"", None) and answer.high_watermark == 300
        # a consumer in the leader's own rack, or in none, is served by the leader
        for own in (RACKS[leader], ""):
            answer = _fetch(leader_port, 0, own)
            assert answer.preferred_read_replica == -1 and _values(answer.records)[0] == b"v0"

        # the follower serves a consumer in a rack up to its own high watermark
        def follower_read():
            got = _fetch(follower_port, 0, rack)
            return got if got.high_watermark == 300 else None

        answer = wait_for(follower_read, "the follower's high watermark at 300", 20)
        assert answer.error_code == ErrorCode.none and answer.preferred_read_replica == -1
        assert _values(answer.records) == first[: len(_values(answer.records))]
        assert _values(answer.records)
        committed = _fetch(follower_port, 290, rack, isolation_level=1)
        assert (
            committed.last_stable_offset == 300 and _values(committed.records, 290) == first[290:]
        )
        # at its end: nothing yet (the client waits); past its log end: OFFSET_NOT_AVAILABLE
        assert _fetch(follower_port, 300, rack).records in (b"", None)
        assert _fetch(follower_port, 301, rack).error_code == ErrorCode.offset_not_available
        # without a rack the follower does not serve (the client goes to the leader)
        assert _fetch(follower_port, 0, "").error_code == ErrorCode.not_leader_or_follower

        before = {n: _fetched_bytes(cluster, n) for n in RACKS}
        got = _consume(cluster, rack, len(first + rest), lambda: _produce(cluster, rest))
        assert got == first + rest  # every value once, in order
        after = {n: _fetched_bytes(cluster, n) for n in RACKS}
        assert after[follower] - before[follower] > 0
        assert after[leader] == before[leader]  # the leader sent none of it

        # switched off live: the leader serves, the follower refuses
        _set_everywhere(cluster, tmp_path / "home", False, via_rpk=False)
        answer = _fetch(leader_port, 0, rack)
        assert answer.preferred_read_replica == -1 and _values(answer.records)[0] == b"v0"
        assert _fetch(follower_port, 0, rack).error_code == ErrorCode.not_leader_or_follower


def test_a_follower_serves_read_committed_up_to_its_last_stable_offset(tmp_path):
    from confluent_kafka import Producer

    with _racks_on(tmp_path / "cluster", max) as (cluster, _leader, follower):
        rack = RACKS[follower]
        producer = Producer({"bootstrap.servers": cluster.bootstrap, "transactional.id": "near"})
        producer.init_transactions(30)
        for prefix, end in (
            (b"c", producer.commit_transaction),
            (b"a", producer.abort_transaction),
        ):
            producer.begin_transaction()
            for i in range(10):
                producer.produce(TOPIC, prefix + b"%d" % i)
            assert producer.flush(30) == 0  # sent: an abort would drop what is queued
            end(30)  # offsets 0-9 committed, 10 marker; 11-20 aborted, 21 marker
        producer.begin_transaction()
        for i in range(5):
            producer.produce(TOPIC, b"o%d" % i)
        assert producer.flush(30) == 0  # offsets 22-26, open
        port = cluster.nodes[follower].kafka_port

        def follower_at_27():
            got = _fetch(port, 0, rack, isolation_level=1)
            return got if got.high_watermark == 27 else None

        answer = wait_for(follower_at_27, "the follower's high watermark at 27", 20)
        assert answer.error_code == ErrorCode.none and answer.last_stable_offset == 22
        assert [a.first_offset for a in answer.aborted_transactions] == [11]
        assert _values(_fetch(port, 22, rack, isolation_level=1).records) == []
        assert _values(_fetch(port, 22, rack).records) == [b"o%d" % i for i in range(5)]

        producer.commit_transaction(30)
        before = _fetched_bytes(cluster, follower)
        got = _consume(cluster, rack, 15, isolation="read_committed")
        assert got == [b"c%d" % i for i in range(10)] + [b"o%d" % i for i in range(5)]
        assert _fetched_bytes(cluster, follower) > before


def test_the_consumer_goes_back_to_the_leader_when_its_follower_dies(tmp_path):
    """The follower of the consumer's rack is killed while it reads: the leader no longer names
    it (Metadata does not list it), and the consumer reads the rest from the leader."""
    with _racks_on(tmp_path / "cluster") as (cluster, leader, follower):
        rack = RACKS[follower]
        first = [b"v%d" % i for i in range(200)]
        rest = [b"v%d" % i for i in range(200, 400)]
        _produce(cluster, first)

        served: dict[str, float] = {}

        def kill_then_produce() -> None:
            served["follower"] = _fetched_bytes(cluster, follower)
            served["leader"] = _fetched_bytes(cluster, leader)
            cluster.kill(follower)
            _produce(cluster, rest)

        got = _consume(cluster, rack, len(first + rest), kill_then_produce)
        assert got == first + rest  # every value once, in order
        assert served["follower"] > 0  # it read from the follower first
        assert _fetched_bytes(cluster, leader) > served["leader"]  # then from the leader
        answer = _fetch(cluster.nodes[leader].kafka_port, 0, rack)
        assert answer.preferred_read_replica == -1 and _values(answer.records)[0] == b"v0"
