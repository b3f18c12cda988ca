"""Failover time: kill -9 the leader of a one-partition RF 3 topic while a confluent-kafka
producer (acks=all, short timeouts) writes a record every few milliseconds; measure from the
kill to the first acknowledged write produced after it, and (from a thread polling the
surviving nodes' Metadata) to the first Metadata naming a new live leader. The killed node is
restarted and rejoins before the next repetition."""

from __future__ import annotations

import struct
import threading
import time

import confluent_kafka as ck

from bench._cluster import Nodes, leaders
from core.testing.metadata import fetch_metadata

_TS = struct.Struct(">d")
SEND_EVERY_S = 0.005
GIVE_UP_S = 20.0
POLL_METADATA_S = 0.02

PRODUCER = {
    "acks": "all",
    "linger.ms": 0,
    "message.timeout.ms": 1500,
    "request.timeout.ms": 500,
    "retry.backoff.ms": 20,
    "retry.backoff.max.ms": 100,
    "reconnect.backoff.ms": 20,
    "reconnect.backoff.max.ms": 100,
    "topic.metadata.refresh.interval.ms": 1000,
    "log_level": 2,  # the kill makes librdkafka log every refused reconnect
}


def failover_once(nodes: Nodes, topic: str, idempotent: bool) -> dict:
    old = leaders(nodes, topic, 1)[0]
    producer = ck.Producer(
        {"bootstrap.servers": nodes.bootstrap, "enable.idempotence": idempotent, **PRODUCER}
    )
    killed_at = [float("-inf")]  # warm-up: every ack counts
    first_ack = [float("inf")]
    errors = [0]

    def delivered(err, msg) -> None:
        if err is not None:
            errors[0] += 1
        elif _TS.unpack_from(msg.value())[0] > killed_at[0]:
            first_ack[0] = min(first_ack[0], time.perf_counter())

    def send() -> None:
        producer.produce(topic, value=_TS.pack(time.perf_counter()), partition=0,
                         on_delivery=delivered)  # fmt: skip
        producer.poll(0)

    _warm_up(producer, send, first_ack)
    survivors = [n.kafka_port for n in nodes.cluster.running() if n.node_id != old]
    elected = _ElectionWatch(survivors, topic, old)
    killed_at[0] = time.perf_counter()
    first_ack[0] = float("inf")
    errors[0] = 0
    nodes.cluster.kill(old)
    elected.start(killed_at[0])
    while first_ack[0] == float("inf") and time.perf_counter() - killed_at[0] < GIVE_UP_S:
        send()
        time.sleep(SEND_EVERY_S)
    elected.join()
    producer.purge()
    producer.flush(1)
    acked = first_ack[0] != float("inf")
    return {
        "killed_leader": old,
        "new_leader": elected.leader,
        "leader_in_metadata_s": round(elected.seconds, 3) if elected.seconds else None,
        "first_ack_s": round(first_ack[0] - killed_at[0], 3) if acked else None,
        "failed_deliveries": errors[0],
    }


def _warm_up(producer: ck.Producer, send, first_ack: list[float]) -> None:
    """Write until one record is acknowledged: connections and metadata are in place."""
    deadline = time.perf_counter() + GIVE_UP_S
    while first_ack[0] == float("inf"):
        if time.perf_counter() > deadline:
            raise TimeoutError("no acknowledged write before the kill")
        send()
        producer.poll(0.05)
    for _ in range(20):  # a short steady stream before the kill
        send()
        time.sleep(SEND_EVERY_S)
    producer.flush(5)


class _ElectionWatch(threading.Thread):
    """Polls the survivors' Metadata until one names a leader other than the killed node."""

    def __init__(self, ports: list[int], topic: str, old: int) -> None:
        super().__init__(daemon=True)
        self.ports, self.topic, self.old = ports, topic, old
        self.leader: int | None = None
        self.seconds: float | None = None
        self.t0 = 0.0

    def start(self, t0: float) -> None:  # type: ignore[override]
        self.t0 = t0
        super().start()

    def run(self) -> None:
        while time.perf_counter() - self.t0 < GIVE_UP_S:
            for port in self.ports:
                try:
                    info = fetch_metadata(port, [self.topic], timeout_s=1.0).partition(
                        self.topic, 0
                    )
                except (OSError, ValueError, KeyError):
                    continue
                if info.leader >= 0 and info.leader != self.old:
                    self.seconds = time.perf_counter() - self.t0
                    self.leader = info.leader
                    return
            time.sleep(POLL_METADATA_S)


def failovers(nodes: Nodes, topic: str, repetitions: int, idempotent: bool) -> list[dict]:
    out = []
    for _ in range(repetitions):
        result = failover_once(nodes, topic, idempotent)
        out.append(result)
        nodes.cluster.restart(result["killed_leader"], timeout_s=60.0)
        nodes.refresh()
        _wait_full_isr(nodes, topic)
    return out


def _wait_full_isr(nodes: Nodes, topic: str, timeout_s: float = 30.0) -> None:
    """The partition's leader lists every replica in sync again (the restarted node caught up)."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        try:
            leader = leaders(nodes, topic, 1)[0]
            if leader >= 0:
                port = nodes.cluster.nodes[leader].kafka_port
                info = fetch_metadata(port, [topic]).partition(topic, 0)
                if len(info.isr) == nodes.cluster.n:
                    return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.2)
