"""Per-item failures print rpk's table and exit 0; group seek/list messages as rpk's."""

from __future__ import annotations

import uuid

import pytest

from tests.support.rpk import interrupt, rpk_process

pytestmark = pytest.mark.timeout(120)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_per_item_failures_exit_zero(rpk, kafka_env):
    topic = _name("ex")
    assert rpk(["topic", "create", topic], env=kafka_env).exit_code == 0
    res = rpk(["topic", "delete", _name("missing")], env=kafka_env)
    assert res.exit_code == 0 and "UNKNOWN_TOPIC_OR_PARTITION" in res.stdout, res
    res = rpk(["topic", "alter-config", topic, "-s", "bogus.key=1"], env=kafka_env)
    assert res.exit_code == 0 and "INVALID_CONFIG" in res.stdout, res
    res = rpk(["group", "delete", _name("nogroup")], env=kafka_env)
    assert res.exit_code == 0, res
    assert res.stdout.splitlines()[0].split() == ["GROUP", "STATUS"]


def test_group_list_bad_state(rpk, kafka_env):
    res = rpk(["group", "list", "-s", "bogus"], env=kafka_env)
    assert res.exit_code == 1
    assert res.stderr == "Invalid group state argument: bogus\n"
    assert rpk(["group", "list", "-s", "stable,EMPTY"], env=kafka_env).exit_code == 0


@pytest.mark.parametrize(
    "flags, message",
    [
        ([], "Must specify one --to flag."),
        (["--to", "start", "--to-group", "g2"], "Cannot specify multiple --to flags."),
        (
            ["--to", "12345"],
            '--to timestamp "12345" is not a second, nor a millisecond, nor a nanosecond',
        ),
        (["--to", "16225056000000"], "is not a second, nor a millisecond, nor a nanosecond"),
    ],
)
def test_group_seek_messages(rpk, kafka_env, flags, message):
    res = rpk(["group", "seek", _name("g"), *flags], env=kafka_env)
    assert res.exit_code == 1
    assert message in res.stderr.splitlines()[0]


def test_group_seek_prior_offset_is_minus_one(rpk, kafka_env):
    topic, group = _name("sk"), _name("g")
    assert rpk(["topic", "create", topic, "-p", "1"], env=kafka_env).exit_code == 0
    assert rpk(["topic", "produce", topic], env=kafka_env, input="a\nb\n").exit_code == 0
    res = rpk(
        ["group", "seek", group, "--to", "end", "--topics", topic, "--allow-new-topics"],
        env=kafka_env,
    )
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[1].split() == [topic, "0", "-1", "2"]


def test_group_seek_of_a_non_empty_group_is_a_table_row(rpk, kafka_env, home):
    topic, group = _name("ne"), _name("g")
    assert rpk(["topic", "create", topic, "-p", "1"], env=kafka_env).exit_code == 0
    assert rpk(["topic", "produce", topic], env=kafka_env, input="x\n").exit_code == 0
    args = ["topic", "consume", topic, "-g", group, "-f", "%v\\n"]
    with rpk_process(args, home, kafka_env) as proc:
        assert proc.stdout.readline() == b"x\n"
        seek = ["group", "seek", group, "--to", "start", "--topics", topic, "--allow-new-topics"]
        res = rpk(seek, env=kafka_env)
        interrupt(proc)
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["TOPIC", "PARTITION", "PRIOR-OFFSET", "CURRENT-OFFSET", "ERROR"]
    assert lines[1].split()[:4] == [topic, "0", "-1", "-1"]
    assert lines[1].endswith("INVALID_OPERATION: seeking a non-empty group is not allowed.")
