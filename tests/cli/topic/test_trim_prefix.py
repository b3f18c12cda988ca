"""rpk topic trim-prefix against a real broker: an offset past the end is refused by the broker
(OFFSET_OUT_OF_RANGE), never clamped into deleting everything."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.timeout(120)


def _offsets(rpk, kafka_env, topic: str) -> tuple[int, int]:
    res = rpk(["topic", "describe", topic, "-p", "--format", "json"], env=kafka_env)
    (part,) = json.loads(res.stdout)[0]["partitions"]
    return part["log_start_offset"], part["high_watermark"]


def test_offset_past_the_end_is_refused_and_deletes_nothing(rpk, kafka_env, topic):
    assert _offsets(rpk, kafka_env, topic) == (0, 2)
    res = rpk(["topic", "trim-prefix", topic, "-o", "50", "--no-confirm"], env=kafka_env)
    assert res.exit_code == 1, res.stdout + res.stderr
    rows = [line.split() for line in res.stdout.splitlines()]
    assert rows[-1][:4] == [topic, "0", "-1", "OFFSET_OUT_OF_RANGE:"], res.stdout
    assert ["50"] == [row[3] for row in rows if row[:2] == [topic, "0"]][:1]  # as sent
    assert _offsets(rpk, kafka_env, topic) == (0, 2)
    consumed = rpk(["topic", "consume", topic, "-o", ":end", "-f", "%k\\n"], env=kafka_env)
    assert consumed.stdout.split() == ["k1", "k2"]


def test_offset_within_the_log_still_trims(rpk, kafka_env, topic):
    res = rpk(["topic", "trim-prefix", topic, "-o", "1", "--no-confirm"], env=kafka_env)
    assert res.exit_code == 0, res.stdout + res.stderr
    assert res.stdout.splitlines()[-1].split() == [topic, "0", "1"]
    assert _offsets(rpk, kafka_env, topic) == (1, 2)
