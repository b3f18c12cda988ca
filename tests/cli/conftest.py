"""Fixtures for rpk tests: a real broker process, an isolated HOME, and two ways to run rpk."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.broker import start_broker

REPO = Path(__file__).resolve().parents[2]
RPK_TIMEOUT_S = 60


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RPK_", "REDPANDA_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    return env


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """HOME and XDG_CONFIG_HOME in a tmp dir; no RPK_* leaks in from the outside."""
    home = tmp_path / "home"
    home.mkdir()
    for key in list(os.environ):
        if key.startswith(("RPK_", "REDPANDA_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return home


def run_subprocess(
    args: list[str],
    home: Path,
    env: dict | None = None,
    input: str | bytes | None = None,
    cwd: Path | None = None,
) -> Result:
    full_env = _clean_env(home)
    full_env.update(env or {})
    data = input.encode() if isinstance(input, str) else input
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        input=data,
        capture_output=True,
        env=full_env,
        timeout=RPK_TIMEOUT_S,
        cwd=cwd or REPO,
    )
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


@contextlib.contextmanager
def rpk_process(args: list[str], home: Path, env: dict | None = None):
    """A running `rpk ARGS` (stdout/stderr piped); killed on the way out if it is still running."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**_clean_env(home), **(env or {})},
        cwd=REPO,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def interrupt(proc: subprocess.Popen, timeout_s: float = 30) -> tuple[bytes, bytes]:
    """Ctrl-C: SIGINT, then wait for the process to end; returns (stdout, stderr)."""
    proc.send_signal(signal.SIGINT)
    return proc.communicate(timeout=timeout_s)


def run_in_process(
    args: list[str], env: dict | None = None, input: str | bytes | None = None
) -> Result:
    from cli.main import app

    result = CliRunner().invoke(app, args, input=input, env=env)
    code = result.exit_code
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        from cli.errors import CliError

        assert isinstance(result.exception, CliError), repr(result.exception)
        stderr = str(result.exception)
        code = 1
    return Result(code, result.stdout, stderr)


@pytest.fixture(params=["subprocess", "in-process"])
def rpk(request, home):
    """Run rpk either as a subprocess or through CliRunner; returns (args, env=None, input=None) -> Result."""
    if request.param == "subprocess":
        return lambda args, env=None, input=None: run_subprocess(args, home, env, input)
    return lambda args, env=None, input=None: run_in_process(args, env, input)


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    proc = start_broker(tmp_path_factory.mktemp("rpk-broker"))
    yield proc
    proc.stop()


@pytest.fixture
def kafka_env(broker) -> dict[str, str]:
    return {"RPK_BROKERS": broker.bootstrap, "RPK_ADMIN_HOSTS": f"127.0.0.1:{broker.admin_port}"}
