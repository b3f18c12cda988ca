"""The Kafka listener survives slow, greedy and careless clients: a broker-wide budget for
in-flight request bytes, a read deadline per frame, kafka_request_max_bytes, connection count
and rate limits (with per-IP overrides), idle close; all read live from the cluster config."""

from __future__ import annotations

import struct
import threading
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from tests.support.broker import BrokerProcess
from tests.support.listener_probe import (
    answers,
    closed_by_peer,
    connect_from,
    metric,
    rss_bytes,
    set_cluster_config,
    wait_until,
)

MiB = 1024 * 1024
BUDGET_BYTES = 32 * MiB
READ_TIMEOUT_MS = 3000
SLOW_CLIENTS = 40
SLOW_FRAME_BYTES = 8 * MiB
RSS_MARGIN_BYTES = 48 * MiB
RATE_REJECTED = "vectorized_kafka_rpc_connections_rejected_rate_limit_total"


@pytest.fixture(scope="module")
def budget_broker(tmp_path_factory):
    broker = BrokerProcess(
        tmp_path_factory.mktemp("budget") / "broker",
        "--set",
        f"kafka_request_max_inflight_bytes={BUDGET_BYTES}",
        "--set",
        f"kafka_request_read_timeout_ms={READ_TIMEOUT_MS}",
    ).start()
    yield broker
    broker.stop()
    assert "Traceback" not in broker.log_text()  # no asyncio or handler traceback, ever


@pytest.fixture(scope="module")
def limits_broker(tmp_path_factory):
    broker = BrokerProcess(
        tmp_path_factory.mktemp("limits") / "broker",
        "--set",
        "kafka_connections_max_per_ip=3",
        "--set",
        "kafka_connections_max_overrides=['127.0.0.2:6', '127.0.0.3:20']",
    ).start()
    yield broker
    broker.stop()
    assert "Traceback" not in broker.log_text()  # no asyncio or handler traceback, ever


class SlowFrames(threading.Thread):
    """Clients that announce big frames and send all but their last byte, as fast as the broker
    takes it; samples the broker's RSS meanwhile."""

    def __init__(self, port: int, pid: int) -> None:
        super().__init__(daemon=True)
        self.socks = []
        for _ in range(SLOW_CLIENTS):
            sock = connect_from(port)
            sock.sendall(struct.pack(">ihhi", SLOW_FRAME_BYTES, 0, 7, 1))
            sock.setblocking(False)
            self.socks.append([sock, SLOW_FRAME_BYTES - 8 - 1])  # never the last byte
        self.pid = pid
        self.peak_rss = 0
        self.stop = threading.Event()

    def run(self) -> None:
        chunk = memoryview(bytes(MiB))
        while not self.stop.is_set():
            for entry in self.socks:
                sock, left = entry
                try:
                    while left > 0:
                        left -= sock.send(chunk[: min(left, MiB)])
                except (BlockingIOError, OSError):
                    pass
                entry[1] = left
            self.peak_rss = max(self.peak_rss, rss_bytes(self.pid))
            time.sleep(0.01)

    def close(self) -> None:
        self.stop.set()
        self.join(5)
        for sock, _ in self.socks:
            sock.close()


def first_values(consumer: KafkaConsumer, n: int) -> list[bytes]:
    values = []
    for message in consumer:
        values.append(message.value)
        if len(values) == n:
            break
    return values


def test_slow_big_frames_stay_within_the_budget_while_others_are_served(budget_broker):
    broker = budget_broker
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic("served", 1, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=0)
    producer.send("served", b"warm-up").get(timeout=10)
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, consumer_timeout_ms=5000)
    consumer.assign([TopicPartition("served", 0)])
    consumer.seek(TopicPartition("served", 0), 0)
    baseline = rss_bytes(broker.proc.pid)
    slow = SlowFrames(broker.kafka_port, broker.proc.pid)
    started = time.monotonic()
    slow.start()
    try:
        time.sleep(1.0)  # the slow clients fill what they may
        for i in range(5):
            producer.send("served", f"m{i}".encode()).get(timeout=10)
        values = first_values(consumer, 6)
        served_after_s = time.monotonic() - started
        assert values == [b"warm-up", b"m0", b"m1", b"m2", b"m3", b"m4"]
        assert served_after_s < READ_TIMEOUT_MS / 1000  # served before any slow frame expired
        assert "kafka_request_read_timeout_ms" not in broker.log_text()
        time.sleep(max(0.0, 2.0 - served_after_s))
        growth = slow.peak_rss - baseline
        print(f"broker RSS grew by {growth / MiB:.1f} MiB under {SLOW_CLIENTS} slow frames")
        assert growth < BUDGET_BYTES + RSS_MARGIN_BYTES, f"RSS grew by {growth / MiB:.0f} MiB"
        # Past the read deadline the frames being read are closed, with a log line each.
        assert wait_until(lambda: "kafka_request_read_timeout_ms" in broker.log_text(), 5)
        slow.stop.set()
        slow.join(5)
        # Each admitted frame has its own deadline, so they close one after another: poll.
        closed: set[int] = set()

        def closed_count() -> int:
            for index, (sock, _) in enumerate(slow.socks):
                if index not in closed and closed_by_peer(sock, timeout_s=0.01):
                    closed.add(index)
            return len(closed)

        assert wait_until(lambda: closed_count() >= 3, 5), f"only {len(closed)} closed"
        assert len(closed) < SLOW_CLIENTS  # those read first; the rest wait for budget
        assert broker.log_text().count("kafka_request_read_timeout_ms") >= len(closed)
    finally:
        slow.close()
        producer.close()
        consumer.close()
    assert wait_until(
        lambda: metric(broker.admin_url, "vectorized_kafka_rpc_inflight_request_bytes") == 0, 15
    )
    assert metric(broker.admin_url, "vectorized_kafka_rpc_requests_blocked_memory_total") > 0


def test_a_frame_over_kafka_request_max_bytes_closes_the_connection_live(budget_broker):
    broker = budget_broker
    set_cluster_config(broker.admin_url, kafka_request_max_bytes=64 * 1024)
    try:
        sock = connect_from(broker.kafka_port)
        sock.sendall(struct.pack(">ihhi", 100 * 1024, 0, 7, 1))
        assert closed_by_peer(sock)
        assert "exceeds the 65536-byte limit" in broker.log_text()
        assert answers(connect_from(broker.kafka_port))
    finally:
        set_cluster_config(broker.admin_url, remove=("kafka_request_max_bytes",))
    sock = connect_from(broker.kafka_port)
    sock.sendall(struct.pack(">ihhi", 100 * 1024, 0, 7, 1))
    assert not closed_by_peer(sock, timeout_s=0.5)  # the default 100 MiB applies again
    sock.close()


def test_per_ip_limit_and_its_override(limits_broker):
    port = limits_broker.kafka_port
    for ip, limit in (("127.0.0.1", 3), ("127.0.0.2", 6)):
        kept = [connect_from(port, ip) for _ in range(limit)]
        assert all(answers(s) for s in kept)
        refused = connect_from(port, ip)
        assert closed_by_peer(refused)
        kept.pop().close()
        assert wait_until(lambda ip=ip: answers(connect_from(port, ip), 1), 5)
        for s in kept:
            s.close()
    assert "refused Kafka connection from 127.0.0.1: kafka_connections_max_per_ip" in (
        limits_broker.log_text()
    )
    assert metric(limits_broker.admin_url, "vectorized_kafka_rpc_connections_rejected_total") >= 2


def test_a_flood_of_refused_connections_is_logged_in_aggregate(limits_broker):
    port = limits_broker.kafka_port
    before = metric(limits_broker.admin_url, "vectorized_kafka_rpc_connections_rejected_total")
    log_before = limits_broker.log_text().count("refused Kafka connection")
    kept = [connect_from(port, "127.0.0.5") for _ in range(3)]
    assert all(answers(s) for s in kept)
    for _ in range(200):
        sock = connect_from(port, "127.0.0.5")
        assert closed_by_peer(sock)
        sock.close()
    for s in kept:
        s.close()
    after = metric(limits_broker.admin_url, "vectorized_kafka_rpc_connections_rejected_total")
    assert after - before == 200
    assert limits_broker.log_text().count("refused Kafka connection") - log_before <= 1


def test_connections_max_applies_live_to_real_clients(limits_broker):
    broker = limits_broker
    kept = [connect_from(broker.kafka_port, f"127.0.1.{i}") for i in range(2)]
    assert all(answers(s) for s in kept)
    set_cluster_config(broker.admin_url, kafka_connections_max=2)
    try:
        assert closed_by_peer(connect_from(broker.kafka_port, "127.0.1.9"))
        with pytest.raises(Exception, match="bootstrap"):
            KafkaProducer(bootstrap_servers=broker.bootstrap, bootstrap_timeout_ms=1500)
        assert all(answers(s) for s in kept)  # connections already open stay
    finally:
        set_cluster_config(broker.admin_url, remove=("kafka_connections_max",))
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    assert "__consumer_offsets" in admin.list_topics() or admin.list_topics() is not None
    admin.close()
    for s in kept:
        s.close()


def test_connection_rate_limit_per_ip_and_its_override(limits_broker):
    broker = limits_broker
    set_cluster_config(
        broker.admin_url,
        kafka_connection_rate_limit=2,
        kafka_connection_rate_limit_overrides=["127.0.0.3:10"],
    )
    try:
        first = [connect_from(broker.kafka_port, "127.0.0.4") for _ in range(2)]
        assert closed_by_peer(connect_from(broker.kafka_port, "127.0.0.4"))
        assert all(answers(s) for s in first)
        more = [connect_from(broker.kafka_port, "127.0.0.3") for _ in range(8)]
        assert all(answers(s) for s in more)
        assert metric(broker.admin_url, RATE_REJECTED) == 1
    finally:
        set_cluster_config(
            broker.admin_url,
            remove=("kafka_connection_rate_limit", "kafka_connection_rate_limit_overrides"),
        )
    for s in first + more:
        s.close()


def test_idle_connections_are_closed_after_the_live_idle_time(limits_broker):
    broker = limits_broker
    set_cluster_config(broker.admin_url, kafka_connections_max_idle_ms=1000)
    try:
        idle = connect_from(broker.kafka_port, "127.0.2.1")
        busy = connect_from(broker.kafka_port, "127.0.2.2")
        assert answers(idle)
        started = time.monotonic()
        while time.monotonic() - started < 2.5:
            assert answers(busy)  # a request every 0.2 s keeps it open
            time.sleep(0.2)
        assert closed_by_peer(idle, timeout_s=0.1)
        assert not closed_by_peer(busy, timeout_s=0.1)
    finally:
        set_cluster_config(broker.admin_url, remove=("kafka_connections_max_idle_ms",))
    idle.close()
    busy.close()
