"""rpk group against a real broker: consume with a group, see the lag, seek, delete offsets and the group."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.timeout(180)


def _lag_table(stdout: str) -> dict[int, list[str]]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("TOPIC "))
    assert lines[start].split()[:6] == [
        "TOPIC",
        "PARTITION",
        "CURRENT-OFFSET",
        "LOG-START-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
    ]
    return {int(line.split()[1]): line.split() for line in lines[start + 1 :] if line.strip()}


def test_group_lag_seek_and_delete(rpk, kafka_env):
    topic, group = f"g-{uuid.uuid4().hex[:8]}", f"grp-{uuid.uuid4().hex[:8]}"
    assert rpk(["topic", "create", topic, "-p", "1", "-r", "1"], env=kafka_env).exit_code == 0
    lines = "".join(f"v{i}\n" for i in range(5))
    assert rpk(["topic", "produce", topic], env=kafka_env, input=lines).exit_code == 0

    res = rpk(["topic", "consume", topic, "-g", group, "-n", "3", "-f", "%v\\n"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.split() == ["v0", "v1", "v2"]

    res = rpk(["group", "describe", group], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    assert "GROUP" in res.stdout and "TOTAL-LAG" in res.stdout
    row = _lag_table(res.stdout)[0]
    assert row[:6] == [topic, "0", "3", "0", "5", "2"]

    assert group in rpk(["group", "list"], env=kafka_env).stdout

    res = rpk(["group", "seek", group, "--to", "start", "--topics", topic], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[1].split() == [topic, "0", "3", "0"]
    row = _lag_table(rpk(["group", "describe", group], env=kafka_env).stdout)[0]
    assert row[2] == "0" and row[5] == "5"

    res = rpk(["group", "seek", group, "--to", "end"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    row = _lag_table(rpk(["group", "describe", group], env=kafka_env).stdout)[0]
    assert row[2] == "5" and row[5] == "0"

    res = rpk(["group", "offset-delete", group, "--topic", f"{topic}:0"], env=kafka_env)
    assert res.exit_code == 0, res.stderr + res.stdout
    res = rpk(["group", "delete", group], env=kafka_env)
    assert res.exit_code == 0, res.stderr + res.stdout
    assert res.stdout.splitlines()[1].split() == [group, "OK"]
