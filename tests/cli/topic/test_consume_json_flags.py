"""consume's JSON switches as rpk spells them: --pretty-print=false (a pflag bool) and --meta-only."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("flag", ["--pretty-print=false", "--pretty-print=0"])
def test_pretty_print_false_prints_one_line_per_record(rpk, kafka_env, topic, flag):
    res = rpk(["topic", "consume", topic, "-n", "2", flag], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert [json.loads(line)["value"] for line in lines] == ["hello", "hi"]


@pytest.mark.parametrize("flags", [[], ["--pretty-print"], ["--pretty-print=true"]])
def test_pretty_print_defaults_to_indented(rpk, kafka_env, topic, flags):
    res = rpk(["topic", "consume", topic, "-n", "1", *flags], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith('{\n  "topic": ')


def test_pretty_print_rejects_a_non_bool(rpk, kafka_env, topic):
    res = rpk(["topic", "consume", topic, "-n", "1", "--pretty-print=maybe"], env=kafka_env)
    assert res.exit_code == 1 and res.stdout == ""
    assert res.stderr.splitlines()[:2] == [  # pflag's words, then the usage (cobra)
        'Error: invalid argument "maybe" for "--pretty-print" flag: '
        'strconv.ParseBool: parsing "maybe": invalid syntax',
        "Usage:",
    ]


def test_meta_only_replaces_value_with_its_size(rpk, kafka_env, topic):
    res = rpk(
        ["topic", "consume", topic, "-n", "2", "--meta-only", "--pretty-print=false"], env=kafka_env
    )
    assert res.exit_code == 0, res.stderr
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert [list(r) for r in records] == [
        ["topic", "key", "value_size", "timestamp", "partition", "offset"]
    ] * 2
    assert [(r["key"], r["value_size"]) for r in records] == [("k1", 5), ("k2", 2)]


def test_unknown_flag_is_still_an_error(rpk, kafka_env, topic):
    res = rpk(["topic", "consume", topic, "-n", "1", "--no-such-flag"], env=kafka_env)
    assert res.exit_code != 0 and res.stdout == ""
