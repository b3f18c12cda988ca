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


def test_summary_always_has_coordinator_and_a_group_once(rpk, kafka_env, broker, empty_group):
    _, group = empty_group
    res = rpk(["group", "describe", group, group, "-s"], env=kafka_env)  # rpk describes a set
    assert res.exit_code == 0, res.stderr
    assert [line.split()[0] for line in res.stdout.splitlines()] == [
        "GROUP",
        "COORDINATOR",
        "STATE",
        "BALANCER",
        "MEMBERS",
        "TOTAL-LAG",
    ], res.stdout
    assert res.stdout.splitlines()[1].split() == ["COORDINATOR", str(broker.node_id)]


def test_a_group_without_coordinator_prints_minus_one_and_its_error():
    """kadm leaves Coordinator.NodeID at -1 when FindCoordinator fails, and rpk prints the
    COORDINATOR row anyway, then the group's ERROR (no broker here can be made to fail its
    FindCoordinator, so the row is rendered from what describe_all records for it)."""
    from cli.commands.group._common import kerr_text
    from cli.commands.group.describe import render_all

    failed = ("g", {"group_state": "", "error": kerr_text(15)}, [], -1)
    assert render_all([failed], "") == (
        "GROUP        g\n"
        "COORDINATOR  -1\n"
        "STATE        \n"
        "BALANCER     \n"
        "MEMBERS      0\n"
        "TOTAL-LAG    0\n"
        "ERROR        COORDINATOR_NOT_AVAILABLE: The coordinator is not available.\n"
    )


@pytest.mark.parametrize(
    ("flags", "group"),
    [
        (["-s", "-c"], "print-summary print-commits"),
        (["-t", "-s", "-c"], "print-lag-per-topic print-commits"),
    ],
)
def test_exclusive_flags_as_cobra(rpk, kafka_env, flags, group):
    res = rpk(["group", "describe", "g", *flags], env=kafka_env)
    assert res.exit_code == 1
    chosen = " ".join(sorted(group.split()))
    assert res.stderr.splitlines()[0] == (
        f"Error: if any flags in the group [{group}] are set none of the others can be; "
        f"[{chosen}] were all set"
    )


def test_commit_past_the_end_lags_zero(rpk, kafka_env, empty_group, tmp_path):
    topic, group = empty_group
    offsets = tmp_path / "past"
    offsets.write_text(f"{topic} 0 10\n")  # p0 ends at 2
    res = rpk(["group", "seek", group, "--to-file", str(offsets)], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    res = rpk(["group", "describe", group], env=kafka_env)
    summary, table = res.stdout.split("\n\n")
    assert "TOTAL-LAG    3" in summary  # kadm counts only positive lags: p1's 3
    assert table.splitlines()[1].split() == [topic, "0", "10", "0", "2", "0"]


def test_static_member_and_lag_per_topic_per_group(rpk, kafka_env, broker, empty_group):
    """A member with a group.instance.id adds rpk's INSTANCE-ID column; -t prints each group's
    topics in turn (one row per group, not merged)."""
    from confluent_kafka import Consumer

    topic, empty = empty_group
    stable = _name("static")
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": stable,
            "group.instance.id": "inst-1",
            "client.id": "cid",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    try:
        consumer.subscribe([topic])
        for _ in range(60):
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                consumer.commit(message, asynchronous=False)
                break
        res = rpk(["group", "describe", stable, "-c"], env=kafka_env)
        assert res.exit_code == 0, res.stderr
        head, *rows = [line.split() for line in res.stdout.splitlines()]
        assert head[6:] == ["MEMBER-ID", "INSTANCE-ID", "CLIENT-ID", "HOST"], res.stdout
        assert [r[1] for r in rows] == ["0", "1", "2"]  # every partition, assigned or not
        assert all(r[7:9] == ["inst-1", "cid"] for r in rows), res.stdout
        res = rpk(["group", "describe", "-t", stable, empty], env=kafka_env)
        table = res.stdout.split("\n\n")[-1]
        assert [line.split()[0] for line in table.splitlines()] == ["TOPIC", topic, topic]
    finally:
        consumer.close()


def test_regex_anchored_as_rpk(rpk, kafka_env, empty_group):
    """rpk anchors each -r expression with ^ and $ (utils.RegexListedItems), so its own
    example `-r '*'` (Go's `^*$`) matches every group and a substring matches none."""
    _, group = empty_group
    res = rpk(["group", "describe", "-r", "*", "-s"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    assert f"GROUP        {group}\n" in res.stdout
    res = rpk(["group", "describe", "-r", group[2:]], env=kafka_env)
    assert (res.exit_code, res.stdout) == (0, "did not match any groups, exiting.\n")
    res = rpk(["group", "describe", "-r", f"{group[:3]}.*", "-s"], env=kafka_env)
    assert f"GROUP        {group}\n" in res.stdout
    res = rpk(["group", "describe", "-r", "("], env=kafka_env)
    assert res.exit_code == 1
    assert res.stderr == (
        'unable to filter groups by regex: unable to compile regex "^($": '
        "error parsing regexp: missing closing ): `^($`\n"
    )
