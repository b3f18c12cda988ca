"""Consumer groups against the real broker, with real clients in real processes.

A group of three consumers (kafka-python and confluent-kafka together) shares a
6-partition topic; one leaves, one is SIGKILLed. Partitions move within the
session timeout, every record is processed, and the committed offsets are what
was processed. A static member (group.instance.id) restarts inside its session
timeout and gets its partitions back with no rebalance.

The consumers run this very module as a script (see `consume_main`), so a test
can kill one without a goodbye.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SESSION_TIMEOUT_MS = 6_000
BROKER_ARGS = ("--set", "group_initial_rebalance_delay=300")
WAIT_S = 60.0


# ---------------------------------------------------------------------------- the consumer process


def consume_main(argv: list[str]) -> None:
    """A consumer that logs (as JSON lines) its assignments, each record it processes
    and each commit, committing synchronously after every processed batch."""
    import argparse

    ap = argparse.ArgumentParser()
    for name in ("client", "bootstrap", "topic", "group", "out", "stop_file"):
        ap.add_argument(f"--{name.replace('_', '-')}", required=True)
    ap.add_argument("--instance-id")
    ap.add_argument("--strategy", default="range")
    ap.add_argument("--max-seconds", type=float, default=WAIT_S * 2)
    args = ap.parse_args(argv)
    out = open(args.out, "a", buffering=1)
    owned: set[int] = set()

    def emit(ev: str, **fields) -> None:
        out.write(json.dumps({"ev": ev, "t": time.time(), **fields}) + "\n")

    def assigned(parts, revoke=False) -> None:
        owned.difference_update(parts) if revoke else owned.update(parts)
        emit("assign", parts=sorted(owned))

    run = _run_confluent if args.client == "confluent" else _run_kafka_python
    run(args, emit, assigned)
    out.close()


def _loop(args, poll, commit, close, emit) -> None:
    deadline = time.monotonic() + args.max_seconds
    while not os.path.exists(args.stop_file) and time.monotonic() < deadline:
        batch = poll()  # [(partition, offset, value)]
        last: dict[int, int] = {}
        for partition, offset, value in batch:
            emit("rec", p=partition, o=offset, v=value)
            last[partition] = offset
        if last and commit(last):
            for partition, offset in last.items():
                emit("commit", p=partition, o=offset + 1)
    close()
    emit("closed")


def _run_kafka_python(args, emit, assigned) -> None:
    from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=1_000,
        max_poll_interval_ms=30_000,
        group_instance_id=args.instance_id,
        request_timeout_ms=40_000,
    )

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            assigned([tp.partition for tp in revoked], revoke=True)

        def on_partitions_assigned(self, parts):
            assigned([tp.partition for tp in parts])

    consumer.subscribe([args.topic], listener=Listener())

    def poll():
        return [
            (tp.partition, m.offset, m.value.decode())
            for tp, msgs in consumer.poll(300).items()
            for m in msgs
        ]

    def commit(last):
        try:
            consumer.commit(
                {
                    TopicPartition(args.topic, p): OffsetAndMetadata(o + 1, f"by-{args.out}", -1)
                    for p, o in last.items()
                }
            )
            return True
        except Exception as exc:  # a rebalance fenced this commit: the records will be redone
            emit("commit_failed", error=repr(exc))
            return False

    _loop(args, poll, commit, consumer.close, emit)


def _run_confluent(args, emit, assigned) -> None:
    import confluent_kafka as ck

    config = {
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": SESSION_TIMEOUT_MS,
        "heartbeat.interval.ms": 1_000,
        "partition.assignment.strategy": args.strategy,
    }
    if args.instance_id:
        config["group.instance.id"] = args.instance_id
    consumer = ck.Consumer(config)
    consumer.subscribe(
        [args.topic],
        on_assign=lambda c, ps: assigned([p.partition for p in ps]),
        on_revoke=lambda c, ps: assigned([p.partition for p in ps], revoke=True),
        on_lost=lambda c, ps: assigned([p.partition for p in ps], revoke=True),
    )

    def poll():
        msgs = consumer.consume(500, 0.3)
        return [(m.partition(), m.offset(), m.value().decode()) for m in msgs if m.error() is None]

    def commit(last):
        try:
            consumer.commit(
                offsets=[ck.TopicPartition(args.topic, p, o + 1) for p, o in last.items()],
                asynchronous=False,
            )
            return True
        except ck.KafkaException as exc:
            emit("commit_failed", error=str(exc))
            return False

    _loop(args, poll, commit, consumer.close, emit)


# ---------------------------------------------------------------------------- test-side helpers


class ConsumerProcess:
    def __init__(
        self,
        tmp_path: Path,
        name: str,
        client: str,
        bootstrap: str,
        topic: str,
        group: str,
        instance_id: str | None = None,
        strategy: str = "range",
    ) -> None:
        self.name = name
        self.out = tmp_path / f"{name}.jsonl"
        self.stop_file = tmp_path / f"{name}.stop"
        cmd = [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
            "from tests.integration.test_groups_membership import consume_main; consume_main(sys.argv[1:])",
            "--client",
            client,
            "--bootstrap",
            bootstrap,
            "--topic",
            topic,
            "--group",
            group,
            "--out",
            str(self.out),
            "--stop-file",
            str(self.stop_file),
            "--strategy",
            strategy,
        ]
        if instance_id:
            cmd += ["--instance-id", instance_id]
        self.log = open(tmp_path / f"{name}.log", "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)

    def events(self, kind: str | None = None) -> list[dict]:
        if not self.out.exists():
            return []
        rows = []
        for line in self.out.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by SIGKILL
            if kind is None or row["ev"] == kind:
                rows.append(row)
        return rows

    def assignment(self) -> set[int]:
        assigns = self.events("assign")
        return set(assigns[-1]["parts"]) if assigns and self.proc.poll() is None else set()

    def leave(self, timeout_s: float = 30.0) -> None:
        self.stop_file.touch()
        assert self.proc.wait(timeout=timeout_s) == 0
        assert self.events()[-1]["ev"] == "closed"

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()


def wait_for(predicate, what: str, timeout_s: float = WAIT_S, interval_s: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def make_topic(bootstrap: str, name: str, partitions: int) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        admin.close()


def produce(bootstrap: str, topic: str, partitions: int, start: int, count: int) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    for i in range(start, start + count):
        producer.send(topic, value=f"r{i}".encode(), partition=i % partitions)
    producer.flush(30)
    producer.close()


def committed_offsets(bootstrap: str, group: str) -> dict[int, int]:
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        return {
            tp.partition: om.offset
            for tp, om in admin.list_group_offsets(group).get(group, {}).items()
        }
    finally:
        admin.close()


def rebalances_logged(broker, group: str) -> int:
    return broker.log_text().count(f"group {group}: preparing rebalance")


def split_evenly(consumers, partitions: int):
    def check():
        owned = [c.assignment() for c in consumers]
        flat = [p for o in owned for p in o]
        return all(owned) and sorted(flat) == list(range(partitions))

    return check


# ---------------------------------------------------------------------------- tests


PARTITIONS = 6
BATCH = 120  # records per produce phase, 20 per partition


@pytest.fixture
def group_broker(broker_factory):
    return broker_factory(*BROKER_ARGS)


def test_mixed_clients_share_partitions_through_leave_and_crash(group_broker, tmp_path):
    broker, topic, group = group_broker, "shared", "mixed"
    make_topic(broker.bootstrap, topic, PARTITIONS)
    produce(broker.bootstrap, topic, PARTITIONS, 0, BATCH)
    consumers = [
        ConsumerProcess(tmp_path, name, client, broker.bootstrap, topic, group)
        for name, client in (("a", "kafka-python"), ("b", "confluent"), ("c", "kafka-python"))
    ]
    a, b, c = consumers
    try:
        wait_for(split_evenly(consumers, PARTITIONS), "three consumers to share 6 partitions")
        produce(broker.bootstrap, topic, PARTITIONS, BATCH, BATCH)

        a.leave()
        wait_for(split_evenly([b, c], PARTITIONS), "b and c to take over a's partitions")
        produce(broker.bootstrap, topic, PARTITIONS, 2 * BATCH, BATCH)

        c.kill()
        killed_at = time.monotonic()
        wait_for(
            lambda: b.assignment() == set(range(PARTITIONS)),
            "b to own every partition",
            timeout_s=30,
        )
        moved_after_s = time.monotonic() - killed_at
        print(f"partitions of the killed consumer moved after {moved_after_s:.2f}s")
        assert moved_after_s < SESSION_TIMEOUT_MS / 1000 + 4, (
            f"reassigned only after {moved_after_s:.1f}s"
        )
        produce(broker.bootstrap, topic, PARTITIONS, 3 * BATCH, BATCH)

        total = 4 * BATCH
        per_partition = total // PARTITIONS
        wait_for(
            lambda: (
                committed_offsets(broker.bootstrap, group)
                == {p: per_partition for p in range(PARTITIONS)}
            ),
            "every record to be committed",
            interval_s=0.5,
        )
        processed = [r for x in consumers for r in x.events("rec")]
        assert {r["v"] for r in processed} == {f"r{i}" for i in range(total)}  # nothing lost
        for p in range(PARTITIONS):  # committed offsets are exactly what was processed
            assert max(r["o"] for r in processed if r["p"] == p) + 1 == per_partition
        b.leave()
        print(
            f"{len(processed)} records processed for {total} produced; "
            f"{rebalances_logged(broker, group)} rebalances"
        )
        assert rebalances_logged(broker, group) >= 3
    finally:
        for x in consumers:
            x.cleanup()


def test_static_member_restart_keeps_partitions_without_rebalance(group_broker, tmp_path):
    broker, topic, group = group_broker, "static", "static-g"
    make_topic(broker.bootstrap, topic, 4)
    produce(broker.bootstrap, topic, 4, 0, 40)
    s1 = ConsumerProcess(
        tmp_path, "s1", "confluent", broker.bootstrap, topic, group, instance_id="inst-1"
    )
    s2 = ConsumerProcess(
        tmp_path, "s2", "confluent", broker.bootstrap, topic, group, instance_id="inst-2"
    )
    restarted = None
    try:
        wait_for(split_evenly([s1, s2], 4), "two static members to share 4 partitions")
        time.sleep(1.0)  # let any trailing rebalance finish
        before = s1.assignment()
        s2_assigns = len(s2.events("assign"))
        rebalances = rebalances_logged(broker, group)

        s1.kill()
        killed_at = time.monotonic()
        restarted = ConsumerProcess(
            tmp_path, "s1b", "confluent", broker.bootstrap, topic, group, instance_id="inst-1"
        )
        wait_for(lambda: restarted.assignment(), "the restarted static member to be assigned")
        back_after_s = time.monotonic() - killed_at
        print(f"static member back with its partitions after {back_after_s:.2f}s")
        assert back_after_s < SESSION_TIMEOUT_MS / 1000
        assert restarted.assignment() == before
        time.sleep(SESSION_TIMEOUT_MS / 1000 + 1)  # past the old session: still no rebalance
        assert rebalances_logged(broker, group) == rebalances
        assert len(s2.events("assign")) == s2_assigns
        assert restarted.assignment() == before and s2.assignment() == set(range(4)) - before
    finally:
        for x in (s1, s2, restarted):
            if x is not None:
                x.cleanup()


if __name__ == "__main__":
    consume_main(sys.argv[1:])
