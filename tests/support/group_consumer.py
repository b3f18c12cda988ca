"""A consumer group member in its own process, driven by a real client (kafka-python or
confluent-kafka), so a test can stop it politely (a stop file) or SIGKILL it without a goodbye.

The process (`python -m tests.support.group_consumer`, see `consume_main`) logs its assignments,
each record it processes and each commit as JSON lines; `ConsumerProcess` starts one and reads
that log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SESSION_TIMEOUT_MS = 6_000
MAX_RUN_S = 120.0


def consume_main(argv: list[str]) -> None:
    """A consumer that logs (as JSON lines) its assignments, each record it processes
    and each commit, committing synchronously after every processed batch."""
    import argparse

    ap = argparse.ArgumentParser()
    for name in ("client", "bootstrap", "topic", "group", "out", "stop_file"):
        ap.add_argument(f"--{name.replace('_', '-')}", required=True)
    ap.add_argument("--instance-id")
    ap.add_argument("--strategy", default="range")
    ap.add_argument("--max-seconds", type=float, default=MAX_RUN_S)
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


# ---------------------------------------------------------------------------- the test's side


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
            "-m",
            "tests.support.group_consumer",
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


if __name__ == "__main__":
    consume_main(sys.argv[1:])
