"""Ctrl-C (SIGINT) ends an unbounded consume cleanly: exit 0, records printed, no traceback."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.support.rpk import interrupt, rpk_process, run_in_process

pytestmark = pytest.mark.timeout(120)


def test_sigint_during_consume(home, kafka_env):
    topic = f"int-{uuid.uuid4().hex[:8]}"
    assert run_in_process(["topic", "create", topic], env=kafka_env).exit_code == 0
    assert (
        run_in_process(["topic", "produce", topic], env=kafka_env, input="hello\n").exit_code == 0
    )
    with rpk_process(["topic", "consume", topic, "-f", "%v\\n"], home, kafka_env) as proc:
        assert proc.stdout.readline() == b"hello\n"
        time.sleep(0.3)
        _, err = interrupt(proc)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
