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
        [n, "INVALID_REPLICATION_FACTOR: replication factor must be odd"] for n in names]
    listed = rpk(["topic", "list"], env=kafka_env).stdout
    assert not any(n in listed for n in names)
