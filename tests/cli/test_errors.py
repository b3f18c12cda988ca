"""Error paths print one clear line on stderr and exit 1, never a traceback."""

from __future__ import annotations

import socket

import pytest

from cli.main import main
from tests.support.rpk import Result, run_subprocess

pytestmark = pytest.mark.timeout(120)


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _one_line_failure(res, *needles: str) -> None:
    assert res.exit_code == 1
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize("runner", ["rpk", "rpk_subprocess"])
def test_broker_down(request, runner):
    """Also as a process: the script's exit status is 1 and stderr one line."""
    rpk = request.getfixturevalue(runner)
    port = _dead_port()
    res = rpk(["topic", "list", "-X", f"brokers=127.0.0.1:{port}", "-X", "globals.dial_timeout=1s"])
    _one_line_failure(res, f"127.0.0.1:{port}")


def test_unknown_topic(rpk, kafka_env):
    _one_line_failure(
        rpk(["topic", "consume", "no-such-topic", "-n", "1"], env=kafka_env), "no-such-topic"
    )
    _one_line_failure(
        rpk(["topic", "describe", "no-such-topic"], env=kafka_env), "UNKNOWN_TOPIC_OR_PARTITION"
    )
    _one_line_failure(
        rpk(["topic", "produce", "no-such-topic"], env=kafka_env, input="x\n"), "no-such-topic"
    )


@pytest.mark.parametrize(
    "flag,needle",
    [
        ("nokey", "expected key=value"),
        ("bogus=1", 'unknown key "bogus"'),
        ("tls.enabled=maybe", "invalid boolean"),
        ("globals.dial_timeout=soon", "invalid duration"),
    ],
)
def test_bad_x_flag(rpk, flag, needle):
    _one_line_failure(rpk(["topic", "list", "-X", flag]), needle)
    _one_line_failure(rpk(["-X", flag, "cluster", "info"]), needle)


@pytest.mark.parametrize("offset", ["sometime", "1:x", "@yesterday", "--5"])
def test_bad_offset_syntax(rpk, kafka_env, offset):
    _one_line_failure(
        rpk(["topic", "consume", "t", f"--offset={offset}"], env=kafka_env), offset.lstrip("@-")
    )


@pytest.mark.parametrize(
    "args,needle",
    [
        (["topic", "list", "--no-such-flag"], "--no-such-flag"),
        (["topic", "frobnicate"], "frobnicate"),
        (["topic", "create", "x", "-p", "notanumber"], "--partitions"),
    ],
)
def test_usage_errors_through_main(home, capsys, args, needle):
    """Usage errors go through cli.main.main as cobra's: `Error: ...` then the usage, exit 1."""
    code = main(args)
    captured = capsys.readouterr()
    for res in (run_subprocess(args, home), Result(code, captured.out, captured.err)):
        assert res.exit_code == 1
        first, second = res.stderr.splitlines()[:2]
        assert first.startswith("Error: ") and needle in first
        assert second == "Usage:" and "Traceback" not in res.stderr


def test_x_help_and_list_exit_zero(rpk):
    listed = rpk(["-X", "list"])
    assert listed.exit_code == 0
    assert "brokers=" in listed.stdout and "admin.hosts=" in listed.stdout
    helped = rpk(["topic", "list", "-X", "help"])
    assert helped.exit_code == 0 and "RPK_BROKERS" in helped.stdout


def test_sasl_user_without_password_in_profile(rpk, kafka_env, broker):
    created = rpk(
        [
            "profile",
            "create",
            "sasl-nopass",
            "-s",
            f"brokers={broker.bootstrap}",
            "-s",
            "user=alice",
        ]
    )
    assert created.exit_code == 0, created.stderr
    for args in (["topic", "list"], ["topic", "consume", "t", "-n", "1"], ["cluster", "info"]):
        _one_line_failure(rpk(args), "SASL user 'alice' has no password", "pass")


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "PLAIN"])
def test_sasl_refused_by_broker(rpk, kafka_env, mechanism):
    """The broker has no SASL: it answers SaslHandshake with ILLEGAL_SASL_STATE, which rpk
    (franz-go's kgo returns kerr's error as is) prints under "unable to request metadata"."""
    env = {**kafka_env, "RPK_USER": "alice", "RPK_PASS": "secret", "RPK_SASL_MECHANISM": mechanism}
    for args, stdin in (
        (["topic", "list"], None),
        (["topic", "produce", "t"], "x\n"),
        (["topic", "consume", "t", "-n", "1"], None),
    ):
        res = rpk(args, env=env, input=stdin)
        _one_line_failure(res)
        assert res.stderr.strip() == (
            "unable to request metadata: ILLEGAL_SASL_STATE: "
            "Request is not valid given the current SASL state."
        )
