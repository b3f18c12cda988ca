"""Ctrl-C (SIGINT) ends an unbounded consume cleanly: exit 0, records printed, no traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid

import pytest

from tests.cli.conftest import REPO, _clean_env, run_subprocess

pytestmark = pytest.mark.timeout(120)


def test_sigint_during_consume(home, kafka_env):
    topic = f"int-{uuid.uuid4().hex[:8]}"
    assert run_subprocess(["topic", "create", topic], home, env=kafka_env).exit_code == 0
    assert run_subprocess(["topic", "produce", topic], home, env=kafka_env, input="hello\n").exit_code == 0
    env = {**_clean_env(home), **kafka_env}
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "topic", "consume", topic, "-f", "%v\\n"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
    try:
        first = proc.stdout.readline()
        assert first == b"hello\n"
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
