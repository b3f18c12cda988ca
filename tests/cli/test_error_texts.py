"""Errors name no Python exception, and an unreachable broker reads as rpk's dial error."""

from __future__ import annotations

import re
import socket

import pytest

from cli.errors import describe_exception

pytestmark = pytest.mark.timeout(60)
PYTHON_NAMES = re.compile(r"\b\w+(Error|Exception)\b|\[Errno \d+\]|Traceback")


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args", [["topic", "list"], ["cluster", "info"], ["topic", "create", "t"]])
def test_refused_kafka_connection_is_rpks_dial_error(rpk, args):
    port = _dead_port()
    res = rpk([*args, "-X", f"brokers=127.0.0.1:{port}"])
    assert res.exit_code == 1
    assert res.stderr == (
        "unable to request metadata: unable to dial: "
        f"dial tcp 127.0.0.1:{port}: connect: connection refused\n"
    )


def test_unknown_host_is_gos_lookup_error(rpk):
    res = rpk(["topic", "list", "-X", "brokers=nosuchhost.invalid:9092"])
    assert res.exit_code == 1
    assert "dial tcp: lookup nosuchhost.invalid: no such host" in res.stderr


def test_refused_admin_connection_is_gos_http_error(rpk):
    port = _dead_port()
    res = rpk(["cluster", "health", "-X", f"admin.hosts=127.0.0.1:{port}"])
    assert res.exit_code == 1
    assert (
        f'Get "http://127.0.0.1:{port}/v1/cluster/health_overview": '
        f"dial tcp 127.0.0.1:{port}: connect: connection refused"
    ) in res.stderr
    assert not PYTHON_NAMES.search(res.stderr), res.stderr


def test_unexpected_errors_name_no_python_class():
    assert describe_exception(ValueError("bad thing")) == "bad thing"
    assert "ValueError" not in describe_exception(ValueError())


@pytest.mark.parametrize(
    "args",
    [
        ["topic", "consume", "t", "-o", "bogus", "-n", "1"],
        ["topic", "create", "t", "-c", "nokv"],
        ["topic", "create", "t", "-p", "x"],
        ["group", "seek", "g"],
    ],
)
def test_bad_input_errors_name_no_python_class(rpk, kafka_env, args):
    res = rpk(args, env=kafka_env)
    assert res.exit_code == 1
    assert not PYTHON_NAMES.search(res.stderr), res.stderr
