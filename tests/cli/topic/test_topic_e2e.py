"""rpk topic against a real broker, in-process (and one run as processes piping stdin): create,
produce, consume, alter, trim, delete."""

from __future__ import annotations

import json
import time
import uuid

import pytest

pytestmark = pytest.mark.timeout(120)

LINES = "a|1\nb|2\nc|3\nd|4\ne|5\nf|6\n"


def _records(stdout: str) -> list[dict]:
    decoder, out, pos = json.JSONDecoder(), [], 0
    text = stdout.strip()
    while pos < len(text):
        obj, end = decoder.raw_decode(text, pos)
        out.append(obj)
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


@pytest.fixture
def topic(rpk, kafka_env):
    name = f"t-{uuid.uuid4().hex[:8]}"
    res = rpk(["topic", "create", name, "-p", "3", "-r", "1"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.split("\n")[0].split() == ["TOPIC", "STATUS"]
    assert res.stdout.split("\n")[1].split() == [name, "OK"]
    res = rpk(["topic", "produce", name, "--format", "%k|%v\\n"], env=kafka_env, input=LINES)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.count("Produced to partition") == 6
    return name


def test_produce_consume_json_records(rpk, kafka_env, topic):
    before_ms = int(time.time() * 1000) - 60_000
    res = rpk(["topic", "consume", topic, "-n", "6"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    records = _records(res.stdout)
    assert len(records) == 6
    assert {(r["key"], r["value"]) for r in records} == {
        tuple(line.split("|")) for line in LINES.split()
    }
    for r in records:
        assert list(r) == ["topic", "key", "value", "timestamp", "partition", "offset"]
        assert r["topic"] == topic and 0 <= r["partition"] < 3 and r["offset"] >= 0
        assert r["timestamp"] >= before_ms
    by_partition: dict[int, list[int]] = {}
    for r in records:
        by_partition.setdefault(r["partition"], []).append(r["offset"])
    assert all(offs == list(range(len(offs))) for offs in by_partition.values())


def test_processes_pipe_stdin_and_print_records(rpk_subprocess, kafka_env):
    """The rpk script as a process: produce reads the piped stdin, consume prints, both exit 0."""
    name = f"p-{uuid.uuid4().hex[:8]}"
    assert rpk_subprocess(["topic", "create", name, "-p", "3"], env=kafka_env).exit_code == 0
    res = rpk_subprocess(
        ["topic", "produce", name, "--format", "%k|%v\\n"], env=kafka_env, input=LINES
    )
    assert res.exit_code == 0 and res.stdout.count("Produced to partition") == 6, res.stderr
    res = rpk_subprocess(["topic", "consume", name, "-n", "6"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    assert {(r["key"], r["value"]) for r in _records(res.stdout)} == {
        tuple(line.split("|")) for line in LINES.split()
    }


def _consume(rpk, env, topic, offset, extra=()):
    res = rpk(["topic", "consume", topic, "-o", offset, "-f", "%p %o %k\\n", *extra], env=env)
    assert res.exit_code == 0, res.stderr
    return sorted(tuple(line.split()) for line in res.stdout.splitlines())


def test_consume_offset_forms(rpk, kafka_env, topic):
    everything = _consume(rpk, kafka_env, topic, ":end")
    assert len(everything) == 6
    per_part = {
        p: sorted(int(o) for pp, o, _ in everything if pp == p) for p in {e[0] for e in everything}
    }
    assert _consume(rpk, kafka_env, topic, "start", ["-n", "6"]) == everything
    assert _consume(rpk, kafka_env, topic, "@1000000000:end") == everything
    assert _consume(rpk, kafka_env, topic, "@-1h:+2h") == everything
    assert _consume(rpk, kafka_env, topic, "@2000-01-01:2000-01-02") == []
    expect_from_1 = sorted(e for e in everything if int(e[1]) >= 1)
    assert _consume(rpk, kafka_env, topic, "1:end") == expect_from_1
    assert _consume(rpk, kafka_env, topic, "0:1") == sorted(e for e in everything if e[1] == "0")
    last = sorted(e for e in everything if int(e[1]) == len(per_part[e[0]]) - 1)
    assert _consume(rpk, kafka_env, topic, "-1", ["-n", str(len(last))]) == last
    assert _consume(rpk, kafka_env, topic, "+1", ["-n", str(len(expect_from_1))]) == expect_from_1
    assert _consume(rpk, kafka_env, topic, "1", ["-n", str(len(expect_from_1))]) == expect_from_1
    one = _consume(rpk, kafka_env, topic, "start", ["-p", "0", "-n", "1"])
    assert one == [e for e in everything if e[0] == "0"][:1]


def test_alter_config_and_describe(rpk, kafka_env, topic):
    res = rpk(["topic", "alter-config", topic, "--set", "retention.ms=123456"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[1].split() == [topic, "OK"]
    res = rpk(["topic", "describe", topic], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("SUMMARY\n=======\n")
    assert "CONFIGS\n=======\n" in res.stdout
    assert f"NAME        {topic}" in res.stdout
    row = next(line for line in res.stdout.splitlines() if line.startswith("retention.ms "))
    assert row.split() == ["retention.ms", "123456", "DYNAMIC_TOPIC_CONFIG"]
    res = rpk(["topic", "describe", topic, "-c", "--format", "json"], env=kafka_env)
    configs = {c["key"]: c["value"] for c in json.loads(res.stdout)[0]["configs"]}
    assert configs["retention.ms"] == "123456"


def test_list_and_add_partitions(rpk, kafka_env, topic):
    res = rpk(["topic", "add-partitions", topic, "-n", "2"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    res = rpk(["topic", "list", "--format", "json"], env=kafka_env)
    assert {"name": topic, "partitions": 5, "replicas": 1} in json.loads(res.stdout)
    res = rpk(["topic", "list"], env=kafka_env)
    assert res.stdout.splitlines()[0].split() == ["NAME", "PARTITIONS", "REPLICAS"]


def test_trim_prefix_moves_log_start(rpk, kafka_env, topic):
    res = rpk(
        ["topic", "trim-prefix", topic, "-o", "1", "-p", "0,1,2", "--no-confirm"], env=kafka_env
    )
    assert res.exit_code == 0, res.stderr + res.stdout
    res = rpk(["topic", "describe", topic, "-p", "--format", "json"], env=kafka_env)
    parts = json.loads(res.stdout)[0]["partitions"]
    for p in parts:
        assert p["log_start_offset"] == min(1, p["high_watermark"])
    res = rpk(["topic", "consume", topic, "-o", ":end", "-f", "%o\\n"], env=kafka_env)
    assert "0" not in res.stdout.split()


def test_delete_by_regex(rpk, kafka_env):
    prefix = f"rx{uuid.uuid4().hex[:6]}"
    names = [f"{prefix}-a", f"{prefix}-b", f"keep-{prefix}"]
    assert rpk(["topic", "create", *names], env=kafka_env).exit_code == 0
    res = rpk(["topic", "delete", "-r", f"^{prefix}-"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    assert sorted(line.split()[0] for line in res.stdout.splitlines()[1:]) == names[:2]
    listed = rpk(["topic", "list"], env=kafka_env).stdout
    assert f"keep-{prefix}" in listed and f"{prefix}-a " not in listed
    rpk(["topic", "delete", f"keep-{prefix}"], env=kafka_env)
