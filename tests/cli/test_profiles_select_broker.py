"""RPK_BROKERS, -X brokers=... and an rpk.yaml profile each select the broker; flags > env > profile."""

from __future__ import annotations

import socket

import pytest

pytestmark = pytest.mark.timeout(120)


def _dead() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def _ok(res) -> None:
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[0].split() == ["NAME", "PARTITIONS", "REPLICAS"]


def test_each_source_selects_the_broker(rpk, broker):
    good = broker.bootstrap
    _ok(rpk(["topic", "list"], env={"RPK_BROKERS": good}))
    _ok(rpk(["topic", "list", "-X", f"brokers={good}"]))
    assert rpk(["profile", "create", "local", "-s", f"brokers={good}"]).exit_code == 0
    _ok(rpk(["topic", "list"]))


def test_flags_beat_env_beat_profile(rpk, broker):
    good, dead = broker.bootstrap, _dead()
    fast = ["-X", "globals.dial_timeout=1s"]
    assert rpk(["profile", "create", "p", "-s", f"brokers={dead}"]).exit_code == 0
    _ok(rpk(["topic", "list"], env={"RPK_BROKERS": good}))  # env beats profile
    _ok(
        rpk(["topic", "list", "-X", f"brokers={good}"], env={"RPK_BROKERS": dead})
    )  # flag beats env
    res = rpk(["topic", "list", *fast], env={"RPK_BROKERS": dead})
    assert res.exit_code == 1 and dead in res.stderr
    assert rpk(["profile", "set", f"brokers={good}"]).exit_code == 0
    _ok(rpk(["topic", "list"]))
    _ok(rpk(["--profile", "p", "topic", "list"]))
