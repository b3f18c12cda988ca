"""Fixtures shared by the topic command tests."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def topic(rpk, kafka_env):
    """A one-partition topic holding two records, k1=hello and k2=hi, produced through rpk."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    assert rpk(["topic", "create", name, "-p", "1"], env=kafka_env).exit_code == 0
    res = rpk(
        ["topic", "produce", name, "-f", "%k %v\\n"], env=kafka_env, input="k1 hello\nk2 hi\n"
    )
    assert res.exit_code == 0, res.stderr
    return name
