"""Exactly-once consume-transform-produce (send_offsets_to_transaction): the transforming
process is SIGKILLed at random moments and restarted; the output holds each input once."""

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

INPUTS = 600
PARTITIONS = 3
KILLS = 5
RUN_TIMEOUT_S = 120


def fill_input(bootstrap: str, topic: str, count: int) -> dict[str, tuple[str, int]]:
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    expected = {}
    for i in range(count):
        value = f"in-{i}"
        p.produce(topic, value=value.encode(), partition=i % PARTITIONS)
        expected[value] = (topic, i % PARTITIONS)
    assert p.flush(30) == 0
    return expected


def start_transformer(bootstrap, in_topic, out_topic, group, tid, log_path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.eos_transformer",
            bootstrap,
            in_topic,
            out_topic,
            group,
            tid,
            str(log_path),
        ],  # fmt: skip
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def history_from(log_path: Path, out_topic: str) -> TxnHistory:
    history = TxnHistory()
    ids: dict[str, int] = {}
    for line in log_path.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:  # the last line of a killed run may be cut
            continue
        if event["type"] == "begin":
            ids[event["txn"]] = history.begin(event["run"])
        elif event["type"] == "write":
            history.write(ids[event["txn"]], (out_topic, event["partition"]), event["value"])
        elif event["type"] == "end":
            history.end(ids[event["txn"]], event["outcome"])
    return history


def run_with_kills(bootstrap, in_topic, out_topic, log_path, kills: int, on_kill=None) -> None:
    group, tid = f"eos-{uuid.uuid4().hex[:6]}", f"eos-{uuid.uuid4().hex[:6]}"
    rng = random.Random()
    for k in range(kills):
        proc = start_transformer(bootstrap, in_topic, out_topic, group, tid, log_path)
        time.sleep(rng.uniform(2.0, 5.0))
        if on_kill is not None:
            on_kill(k)
        proc.kill()  # SIGKILL, wherever it is
        proc.wait(10)
    proc = start_transformer(bootstrap, in_topic, out_topic, group, tid, log_path)
    try:
        _, err = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        proc.kill()
    assert proc.returncode == 0, err.decode()[-3000:]


def test_consume_transform_produce_exactly_once_through_sigkills(txn_broker, tmp_path):
    bootstrap = txn_broker.bootstrap
    in_topic = new_topic(bootstrap, PARTITIONS, prefix="eos-in")
    out_topic = new_topic(bootstrap, PARTITIONS, prefix="eos-out")
    expected = fill_input(bootstrap, in_topic, INPUTS)
    log_path = tmp_path / "transformer.jsonl"
    run_with_kills(bootstrap, in_topic, out_topic, log_path, KILLS)
    final = read_all(bootstrap, out_topic, PARTITIONS)
    history = history_from(log_path, out_topic)
    result = check_txn(history, final, expected_once=expected, transform=lambda v: f"out-{v}")
    print(result.stats)
    result.assert_valid()
    assert result.stats["final_records"] == INPUTS
    assert result.stats.get("unknown", 0) + result.stats.get("aborted", 0) >= 1, result.stats
