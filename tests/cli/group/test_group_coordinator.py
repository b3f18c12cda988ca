"""rpk group list names the broker that answered for each group; describe names the coordinator."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def committed_group(rpk, kafka_env):
    topic, group = f"gc-{uuid.uuid4().hex[:8]}", f"grp-{uuid.uuid4().hex[:8]}"
    assert rpk(["topic", "create", topic, "-p", "1"], env=kafka_env).exit_code == 0
    assert rpk(["topic", "produce", topic], env=kafka_env, input="a\nb\n").exit_code == 0
    res = rpk(["topic", "consume", topic, "-g", group, "-n", "1", "-f", "%v\\n"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    return group


def test_list_prints_broker_id(rpk, kafka_env, broker, committed_group):
    res = rpk(["group", "list"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["BROKER", "GROUP", "STATE"]
    rows = {line.split()[1]: line.split() for line in lines[1:] if len(line.split()) == 3}
    assert rows.get(committed_group) == [str(broker.node_id), committed_group, "Empty"], res.stdout


def test_describe_summary_has_coordinator(rpk, kafka_env, broker, committed_group):
    res = rpk(["group", "describe", committed_group, "-s"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    keys = [line.split()[0] for line in res.stdout.splitlines() if line.strip()]
    assert keys[:2] == ["GROUP", "COORDINATOR"], res.stdout
    coordinator = next(line for line in res.stdout.splitlines() if line.startswith("COORDINATOR"))
    assert coordinator.split() == ["COORDINATOR", str(broker.node_id)]


def test_delete_unknown_group_reports_the_error(rpk, kafka_env):
    group = f"nope-{uuid.uuid4().hex[:8]}"
    res = rpk(["group", "delete", group], env=kafka_env)
    assert res.exit_code == 0  # rpk prints per-group errors in its table and exits 0
    row = res.stdout.splitlines()[1].split(None, 1)
    assert row[0] == group and row[1].startswith("GROUP_ID_NOT_FOUND"), res.stdout
