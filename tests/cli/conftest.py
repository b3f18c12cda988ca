"""Fixtures for rpk tests: a real broker process, an isolated HOME, and rpk run in this process.

The runners live in tests/support/rpk.py; subprocess runs are kept for the few tests about what
only a process shows (exit status of the script, stdin piping, signals)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.broker import start_broker
from tests.support.rpk import run_in_process, run_subprocess


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


@pytest.fixture
def rpk(home):
    """Run rpk in this process: (args, env=None, input=None, cwd=None) -> Result."""
    return lambda args, env=None, input=None, cwd=None: run_in_process(args, env, input, cwd)


@pytest.fixture
def rpk_subprocess(home):
    """Run rpk as a real process: (args, env=None, input=None, cwd=None) -> Result."""
    return lambda args, env=None, input=None, cwd=None: run_subprocess(args, home, env, input, cwd)


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    """One broker per xdist worker (a session fixture runs once per worker)."""
    proc = start_broker(tmp_path_factory.mktemp("rpk-broker"))
    yield proc
    proc.stop()


@pytest.fixture
def kafka_env(broker) -> dict[str, str]:
    return {"RPK_BROKERS": broker.bootstrap, "RPK_ADMIN_HOSTS": f"127.0.0.1:{broker.admin_port}"}
