"""rpk topic create reports per-topic failures in its TOPIC STATUS table, as rpk does."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.timeout(120)


def test_even_replication_factor_is_a_status_row(rpk, kafka_env):
    names = [f"even-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    res = rpk(["topic", "create", *names, "-r", "2"], env=kafka_env)
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["TOPIC", "STATUS"]
    assert [line.split(None, 1) for line in lines[1:]] == [
        [n, "INVALID_REPLICATION_FACTOR: replication factor must be odd"] for n in names
    ]
    listed = rpk(["topic", "list"], env=kafka_env).stdout
    assert not any(n in listed for n in names)


def _cleanup_policy(rpk, kafka_env, topic: str) -> str:
    res = rpk(["topic", "describe", topic, "-c"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    rows = [line.split() for line in res.stdout.splitlines()]
    return next(r[1] for r in rows if r and r[0] == "cleanup.policy")


def test_compact_is_a_hidden_alias_for_cleanup_policy_compact(rpk, kafka_env):
    compacted, explicit = f"cmp-{uuid.uuid4().hex[:8]}", f"cmp-{uuid.uuid4().hex[:8]}"
    res = rpk(["topic", "create", compacted, "--compact"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[1].split() == [compacted, "OK"]
    assert _cleanup_policy(rpk, kafka_env, compacted) == "compact"
    # an explicit -c cleanup.policy is kept, as rpk does
    res = rpk(
        ["topic", "create", explicit, "--compact", "-c", "cleanup.policy=delete"], env=kafka_env
    )
    assert res.exit_code == 0, res.stderr
    assert _cleanup_policy(rpk, kafka_env, explicit) == "delete"
    assert "--compact" not in rpk(["topic", "create", "--help"]).stdout
