"""A broker that cannot bind a listener exits 1 with one line naming the listener, its address
and the reason: no traceback, no asyncio noise after it."""

from __future__ import annotations

import os
import re
import socket
import subprocess

import pytest

from tests.support.broker import BrokerProcess

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO) ")
NOISE = ("Traceback", "Task was destroyed", "Event loop is closed", "Exception ignored")


@pytest.fixture
def taken_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


@pytest.mark.parametrize("listener", ["kafka", "admin"])
def test_a_taken_port_is_one_line_and_exit_1(tmp_path, taken_port, listener):
    broker = BrokerProcess(tmp_path / "broker")
    setattr(broker, f"{listener}_port", taken_port)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    done = subprocess.run(
        broker.command(), capture_output=True, text=True, timeout=60, env=env, cwd=os.getcwd()
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert not any(noise in output for noise in NOISE), output
    errors = [line for line in output.splitlines() if line.strip() and not LOG_LINE.match(line)]
    assert errors == [
        f"ailurus: cannot start the {listener} listener on 127.0.0.1:{taken_port}: "
        "address already in use"
    ], output
    assert "Ailurus ready" not in output
