"""Exactly-once consume-transform-produce (send_offsets_to_transaction): the transforming
process is SIGKILLed at random moments and restarted; the output holds each input once."""

from __future__ import annotations

from tests.support.eos_run import Transformer, run_through_kills

INPUTS = 600
PARTITIONS = 3
KILLS = 5


def test_consume_transform_produce_exactly_once_through_sigkills(txn_broker, tmp_path):
    result = run_through_kills(
        txn_broker.bootstrap,
        Transformer,
        "eos",
        inputs=INPUTS,
        partitions=PARTITIONS,
        kills=KILLS,
        run_s=(2.0, 5.0),
        history_path=tmp_path / "transformer.jsonl",
    )
    assert result.stats.get("unknown", 0) + result.stats.get("aborted", 0) >= 1, result.stats
