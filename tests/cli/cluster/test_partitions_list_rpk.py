"""`rpk cluster partitions list` as rpk's list.go on a real broker: JSON in rpadmin's field
order (a nil slice is `null`), `--format help`, pflag's IntSlice errors, and the errors rpk
prints with the usage."""

from __future__ import annotations

import json
import uuid

import pytest

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def topic(rpk, kafka_env):
    name = f"pl-{uuid.uuid4().hex[:8]}"
    assert rpk(["topic", "create", name, "-p", "2"], env=kafka_env).exit_code == 0
    return name


def test_json_in_rpadmin_field_order(rpk, kafka_env, broker, topic):
    res = rpk(["cluster", "partitions", "list", topic, "--format", "json"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    listed = json.loads(res.stdout)
    assert [list(p) for p in listed] == [
        ["ns", "topic", "partition_id", "leader_id", "replicas", "disabled"]
    ] * 2
    assert listed[0]["replicas"] == [{"node_id": broker.node_id, "core": 0}]
    res = rpk(["cluster", "partitions", "list", topic, "-p", "7", "--format", "json"], kafka_env)
    assert res.stdout == "null\n"  # rpk marshals the nil slice filterPartition returns


def test_format_help_and_unsupported(rpk, kafka_env, topic):
    res = rpk(["cluster", "partitions", "list", "--format", "help"], env=kafka_env)
    assert res.exit_code == 0
    assert res.stdout.splitlines()[:5] == [
        "[]{",
        "  ns: string",
        "  topic: string",
        "  partition_id: int",
        "  leader_id: *int,omitempty",
    ]
    res = rpk(["cluster", "partitions", "list", topic, "--format", "x"], env=kafka_env)
    assert res.exit_code == 1
    assert res.stderr == (
        'unable to print partitions in the required format "x": --format "x" not supported\n'
    )


def test_errors_as_rpk(rpk, kafka_env, topic):
    res = rpk(["cluster", "partitions", "list", topic, "-n", "0,a"], env=kafka_env)
    assert res.exit_code == 1
    assert res.stderr.splitlines()[0] == (
        'Error: invalid argument "0,a" for "-n, --node-ids" flag: '
        'strconv.Atoi: parsing "a": invalid syntax'
    )
    res = rpk(["cluster", "partitions", "list", topic, "--all"], env=kafka_env)
    assert res.exit_code == 1
    lines = res.stderr.splitlines()
    assert lines[:3] == [
        "flag '--all' cannot be used with topic filters.",
        "Usage:",
        "  rpk cluster partitions list [TOPICS...] [flags]",
    ]
    assert res.stderr.endswith("\n\n")  # rpk's Die after a usage that ends in a newline


def test_unknown_topic_as_rpadmin_error(rpk, kafka_env, broker):
    """The cluster endpoint's 404 sends rpk to /v1/partitions/{ns}/{topic}; its 404 is printed
    as rpadmin's HTTPResponseError (status text and the body %q-quoted), then a blank line."""
    res = rpk(["cluster", "partitions", "list", "nope-topic"], env=kafka_env)
    assert res.exit_code == 1
    url = f"http://127.0.0.1:{broker.admin_port}/v1/partitions/kafka/nope-topic"
    assert res.stderr.startswith(
        f'unable to query partition metadata of topic "nope-topic": request GET {url} '
        'failed: Not Found, body: "{\\"message\\": '
    ), res.stderr
    assert res.stderr.endswith('}"\n\n')
