"""rpk cluster info (metadata/status) and cluster logdirs describe against a real broker."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.timeout(120)


def test_cluster_info_sections(rpk, kafka_env, broker):
    topic = f"ci-{uuid.uuid4().hex[:8]}"
    assert rpk(["topic", "create", topic, "-p", "2"], env=kafka_env).exit_code == 0
    res = rpk(["cluster", "info"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    out = res.stdout
    assert out.startswith("CLUSTER\n=======\n")
    assert "BROKERS\n=======\nID    HOST       PORT\n" in out  # tabwriter minwidth 6
    assert f"{broker.node_id}*    127.0.0.1  {broker.kafka_port}" in out
    assert "TOPICS\n======\nNAME" in out
    assert any(line.split() == [topic, "2", "1"] for line in out.splitlines())
    only = rpk(["cluster", "metadata", "-b"], env=kafka_env).stdout
    assert only.splitlines()[0].split() == ["ID", "HOST", "PORT"]
    assert rpk(["cluster", "status", "-t"], env=kafka_env).stdout.startswith("NAME")


def test_logdirs_describe(rpk, kafka_env):
    topic = f"ld-{uuid.uuid4().hex[:8]}"
    assert rpk(["topic", "create", topic, "-p", "2"], env=kafka_env).exit_code == 0
    rpk(["topic", "produce", topic, "-p", "0"], env=kafka_env, input="x" * 100 + "\n")
    res = rpk(["cluster", "logdirs", "describe", "--topics", topic], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["BROKER", "DIR", "TOPIC", "PARTITION", "SIZE", "ERROR"]
    assert sorted(int(line.split()[3]) for line in lines[1:]) == [0, 1]
    res = rpk(
        ["cluster", "logdirs", "describe", "--topics", topic, "--aggregate-into", "topic"],
        env=kafka_env,
    )
    assert res.stdout.splitlines()[0].split() == ["TOPIC", "SIZE", "ERROR"]
    bad = rpk(["cluster", "logdirs", "describe", "--aggregate-into", "rack"], env=kafka_env)
    assert bad.exit_code == 1 and "--aggregate-into" in bad.stderr


def test_cluster_info_without_flags_lists_internal_topics(rpk, kafka_env):
    # rpk: no section flag means every section, internal topics included
    rpk(["group", "describe", "warm-up"], env=kafka_env)  # __consumer_offsets exists by now
    res = rpk(["cluster", "info"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    topics = res.stdout.split("TOPICS\n======\n", 1)[1]
    assert "__consumer_offsets" in topics
    only = rpk(["cluster", "info", "-t"], env=kafka_env)
    assert "__consumer_offsets" not in only.stdout and not only.stdout.startswith("TOPICS")


def test_cluster_config_errors_read_as_rpks(rpk, kafka_env):
    res = rpk(["cluster", "config", "set", "no_such_property", "1"], env=kafka_env)
    assert res.exit_code == 1 and res.stderr == 'Unknown property "no_such_property"\n'
    res = rpk(["cluster", "config", "set", "log_segment_size", "abc"], env=kafka_env)
    assert res.exit_code == 1
    assert res.stderr.startswith("No changes were made: Validation errors:\n * log_segment_size: ")
    res = rpk(["cluster", "config", "get", "no_such_property"], env=kafka_env)
    assert res.exit_code == 1 and res.stderr == "Property 'no_such_property' not found\n"
