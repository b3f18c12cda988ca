"""Exactly-once consume-transform-produce (send_offsets_to_transaction): the transforming
process is SIGKILLed at random moments and restarted; the output holds each input once."""

from __future__ import annotations

import random
import time

from tests.support.eos_run import Transformer, fill_input
from tests.support.jepsen_txn import check_txn
from tests.support.txn_clients import new_topic, read_all

INPUTS = 600
PARTITIONS = 3
KILLS = 5


def test_consume_transform_produce_exactly_once_through_sigkills(txn_broker, tmp_path):
    bootstrap = txn_broker.bootstrap
    in_topic = new_topic(bootstrap, PARTITIONS, prefix="eos-in")
    out_topic = new_topic(bootstrap, PARTITIONS, prefix="eos-out")
    expected = fill_input(bootstrap, in_topic, INPUTS, PARTITIONS)
    transformer = Transformer(bootstrap, in_topic, out_topic, tmp_path / "transformer.jsonl")
    rng = random.Random()
    for _ in range(KILLS):
        transformer.start()
        time.sleep(rng.uniform(2.0, 5.0))
        transformer.kill()
    transformer.finish()
    final = read_all(bootstrap, out_topic, PARTITIONS)
    result = check_txn(
        transformer.history(), final, expected_once=expected, transform=lambda v: f"out-{v}"
    )
    print(result.stats)
    result.assert_valid()
    assert result.stats["final_records"] == INPUTS
    assert result.stats.get("unknown", 0) + result.stats.get("aborted", 0) >= 1, result.stats
