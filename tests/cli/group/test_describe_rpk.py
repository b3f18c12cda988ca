"""`rpk group describe` as rpk's (kadm Lag): empty groups list every partition of their topics,
-t keeps the summary first, an unknown group is a Dead summary with exit 0."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.timeout(120)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def empty_group(rpk, kafka_env, tmp_path):
    """A group with one commit (partition 0 at 1) on a 3-partition topic; p0 has 2 records,
    p1 has 3, p2 none."""
    topic, group = _name("gd"), _name("g")
    assert rpk(["topic", "create", topic, "-p", "3"], env=kafka_env).exit_code == 0
    for partition, count in ((0, 2), (1, 3)):
        data = "".join(f"r{i}\n" for i in range(count))
        res = rpk(["topic", "produce", topic, "-p", str(partition)], env=kafka_env, input=data)
        assert res.exit_code == 0, res.stderr
    offsets = tmp_path / "offsets"
    offsets.write_text(f"{topic} 0 1\n")
    res = rpk(
        ["group", "seek", group, "--to-file", str(offsets), "--allow-new-topics"], env=kafka_env
    )
    assert res.exit_code == 0, res.stderr
    return topic, group


def test_empty_group_lists_every_partition(rpk, kafka_env, empty_group):
    topic, group = empty_group
    res = rpk(["group", "describe", group], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    summary, table = res.stdout.split("\n\n")
    assert "TOTAL-LAG    4" in summary  # 1 (p0) + 3 (p1, uncommitted: its whole log)
    rows = [line.split() for line in table.splitlines()[1:]]
    assert rows == [
        [topic, "0", "1", "0", "2", "1"],
        [topic, "1", "-", "0", "3", "3"],
        [topic, "2", "-", "0", "0", "-"],
    ]


def test_lag_per_topic_keeps_the_summary_first(rpk, kafka_env, empty_group):
    topic, group = empty_group
    res = rpk(["group", "describe", group, "-t"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    summary, table = res.stdout.split("\n\n")
    assert summary.splitlines()[0].split() == ["GROUP", group]
    assert [line.split() for line in table.splitlines()] == [["TOPIC", "LAG"], [topic, "4"]]


def test_unknown_group_is_a_dead_summary(rpk, kafka_env):
    group = _name("nogroup")
    res = rpk(["group", "describe", group], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    fields = {p[0]: p[-1] for p in (line.split(None, 1) for line in res.stdout.splitlines()) if p}
    assert fields["GROUP"] == group and fields["STATE"] == "Dead"
    assert fields["MEMBERS"] == "0" and fields["TOTAL-LAG"] == "0"
