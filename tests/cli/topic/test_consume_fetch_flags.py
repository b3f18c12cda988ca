"""consume's --fetch-max-wait, --rack and --print-control-records against a real broker."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.rpk import run_in_process

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def consumer_configs(monkeypatch):
    """The config of every KafkaConsumer rpk builds (the consumers are real and talk to the broker)."""
    from kafka import KafkaConsumer

    import cli.clients.kafka as kc

    seen: list[dict] = []

    class Spy(KafkaConsumer):
        def __init__(self, *topics, **configs):
            seen.append(dict(configs))
            super().__init__(*topics, **configs)

    monkeypatch.setattr(kc, "KafkaConsumer", Spy)
    return seen


def _values(res) -> list[str]:
    assert res.exit_code == 0, res.stderr
    return [json.loads(line)["value"] for line in res.stdout.splitlines()]


def test_flags_are_accepted_and_records_still_print(rpk, kafka_env, topic):
    # 20s is over kafka-python's default 15s request timeout: the timeout grows with the wait, as rpk's does
    args = [
        "topic",
        "consume",
        topic,
        "-n",
        "2",
        "--pretty-print=false",
        "--fetch-max-wait",
        "20s",
        "--rack",
        "rack-a",
        "--print-control-records",
    ]
    assert _values(rpk(args, env=kafka_env)) == ["hello", "hi"]
    group = f"g-{uuid.uuid4().hex[:8]}"
    assert _values(rpk([*args, "-g", group], env=kafka_env)) == ["hello", "hi"]


def test_fetch_max_wait_and_rack_reach_the_consumer(home, kafka_env, topic, consumer_configs):
    base = ["topic", "consume", topic, "-n", "2", "--pretty-print=false"]
    assert _values(run_in_process(base, env=kafka_env)) == ["hello", "hi"]
    assert consumer_configs[-1]["fetch_max_wait_ms"] == 5000  # globals.fetch_max_wait default
    assert consumer_configs[-1]["client_rack"] == ""
    assert _values(run_in_process([*base, "-X", "globals.fetch_max_wait=1s"], env=kafka_env)) == [
        "hello",
        "hi",
    ]
    assert consumer_configs[-1]["fetch_max_wait_ms"] == 1000
    res = run_in_process(
        [*base, "-X", "globals.fetch_max_wait=1s", "--fetch-max-wait", "250ms", "--rack", "r1"],
        env=kafka_env,
    )
    assert _values(res) == ["hello", "hi"]
    assert consumer_configs[-1]["fetch_max_wait_ms"] == 250
    assert consumer_configs[-1]["client_rack"] == "r1"
    assert consumer_configs[-1]["request_timeout_ms"] > 250


@pytest.mark.parametrize("value", ["soon", "-1s"])
def test_bad_fetch_max_wait_is_one_line(rpk, kafka_env, topic, value):
    res = rpk(["topic", "consume", topic, "-n", "1", f"--fetch-max-wait={value}"], env=kafka_env)
    assert res.exit_code == 1 and res.stdout == ""
    assert value in res.stderr and "\n" not in res.stderr.strip()
