"""Exactly-once consume-transform-produce with kafka-python (send_offsets_to_transaction with
the consumer's group metadata): the transforming process is SIGKILLed at random moments and
restarted; the output holds each input once (the Jepsen-style checker over its history)."""

from __future__ import annotations

import subprocess
import sys

from tests.support.eos_run import ROOT, Transformer, run_through_kills

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
    result = run_through_kills(
        txn_broker.bootstrap,
        KafkaPythonTransformer,
        "kp",
        inputs=INPUTS,
        partitions=PARTITIONS,
        kills=KILLS,
        run_s=(2.5, 5.0),
        history_path=tmp_path / "kp.jsonl",
    )
    assert result.stats.get("committed", 0) >= 1, result.stats
