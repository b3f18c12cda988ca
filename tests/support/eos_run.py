"""Driving the exactly-once transformer (tests.support.eos_transformer) in the EOS tests: the
input, the transformer processes (started, SIGKILLed, restarted), and the history they logged."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka import Producer

from tests.support.jepsen_txn import TxnHistory, check_txn
from tests.support.txn_clients import new_topic, read_all

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 120


def fill_input(bootstrap: str, topic: str, count: int, partitions: int) -> dict:
    """`count` unique values, round robin over the partitions: value -> (topic, partition)."""
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    expected = {}
    for i in range(count):
        value = f"in-{i}"
        p.produce(topic, value=value.encode(), partition=i % partitions)
        expected[value] = (topic, i % partitions)
    assert p.flush(30) == 0
    return expected


class Transformer:
    """One transformer identity (group, transactional id, log), run as successive processes."""

    def __init__(self, bootstrap: str, in_topic: str, out_topic: str, log_path: Path) -> None:
        self.args = [bootstrap, in_topic, out_topic, f"eos-{uuid.uuid4().hex[:6]}"]
        self.tid = f"eos-{uuid.uuid4().hex[:6]}"
        self.log_path = log_path
        self.out_topic = out_topic
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.failures: list[str] = []  # stderr tails of runs that ended in an error

    def start(self) -> subprocess.Popen:
        self.starts += 1
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.eos_transformer",
                *self.args,
                self.tid,
                str(self.log_path),
            ],  # fmt: skip
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return self.proc

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()  # SIGKILL, wherever it is
            self.proc.wait(10)

    def finish(self, attempts: int = 3) -> None:
        """Run until a process ends on its own (idle: the input is consumed); a process that
        failed (a broker died under it) is started again, up to `attempts` times."""
        for _ in range(attempts):
            proc = self.proc if self.proc is not None and self.proc.poll() is None else self.start()
            try:
                _, err = proc.communicate(timeout=RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            if proc.returncode == 0:
                return
            tail = "\n".join(self.log_path.read_text().splitlines()[-5:])
            last = f"{err.decode(errors='replace')[-3000:]}\nlog tail:\n{tail}"
            self.failures.append(last)
            self.proc = None
        raise AssertionError(f"the transformer kept failing: {last}")

    def history(self) -> TxnHistory:
        history = TxnHistory()
        ids: dict[str, int] = {}
        for line in self.log_path.read_text().splitlines():
            try:
                event = json.loads(line)
            except ValueError:  # the last line of a killed run may be cut
                continue
            kind, txn = event["type"], event["txn"]
            if kind == "begin":
                ids[txn] = history.begin(event["run"])
            elif kind == "write" and txn in ids:
                history.write(ids[txn], (self.out_topic, event["partition"]), event["value"])
            elif kind == "end" and txn in ids:
                history.end(ids[txn], event["outcome"])
        return history


def sleep_s(seconds: float) -> None:
    time.sleep(seconds)


def run_through_kills(
    bootstrap: str,
    make: type[Transformer],
    prefix: str,
    *,
    inputs: int,
    partitions: int,
    kills: int,
    run_s: tuple[float, float],
    history_path: Path,
):
    """Fill an input topic, run the transformer `kills` times, each SIGKILLed after a random
    `run_s` interval, let it finish, and check the output with the transactional checker
    (asserted valid, every input in the output once). The checker's result is returned."""
    in_topic = new_topic(bootstrap, partitions, prefix=f"{prefix}-in")
    out_topic = new_topic(bootstrap, partitions, prefix=f"{prefix}-out")
    expected = fill_input(bootstrap, in_topic, inputs, partitions)
    transformer = make(bootstrap, in_topic, out_topic, history_path)
    rng = random.Random()
    for _ in range(kills):
        transformer.start()
        time.sleep(rng.uniform(*run_s))
        transformer.kill()
    transformer.finish()
    final = read_all(bootstrap, out_topic, partitions)
    result = check_txn(
        transformer.history(), final, expected_once=expected, transform=lambda v: f"out-{v}"
    )
    print(result.stats)
    result.assert_valid()
    assert result.stats["final_records"] == inputs
    return result
