"""Exactly-once consume-transform-produce with kafka-python (send_offsets_to_transaction with
the consumer's group metadata): the transforming process is SIGKILLed at random moments and
restarted; the output holds each input once (the Jepsen-style checker over its history)."""

from __future__ import annotations

import random
import subprocess
import sys
import time

from tests.support.eos_run import ROOT, Transformer, fill_input
from tests.support.jepsen_txn import check_txn
from tests.support.txn_clients import new_topic, read_all

INPUTS = 400
PARTITIONS = 3
KILLS = 4


class KafkaPythonTransformer(Transformer):
    def start(self) -> subprocess.Popen:
        self.starts += 1
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.txn.kp_transformer",
                *self.args,
                self.tid,
                str(self.log_path),
            ],  # fmt: skip
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return self.proc


def test_kafka_python_consume_transform_produce_exactly_once(txn_broker, tmp_path):
    bootstrap = txn_broker.bootstrap
    in_topic = new_topic(bootstrap, PARTITIONS, prefix="kp-in")
    out_topic = new_topic(bootstrap, PARTITIONS, prefix="kp-out")
    expected = fill_input(bootstrap, in_topic, INPUTS, PARTITIONS)
    transformer = KafkaPythonTransformer(bootstrap, in_topic, out_topic, tmp_path / "kp.jsonl")
    rng = random.Random()
    for _ in range(KILLS):
        transformer.start()
        time.sleep(rng.uniform(2.5, 5.0))
        transformer.kill()
    transformer.finish()
    final = read_all(bootstrap, out_topic, PARTITIONS)
    result = check_txn(
        transformer.history(), final, expected_once=expected, transform=lambda v: f"out-{v}"
    )
    print(result.stats)
    result.assert_valid()
    assert result.stats["final_records"] == INPUTS
    assert result.stats.get("committed", 0) >= 1, result.stats
