"""Ctrl-C ends `rpk topic consume` promptly even when the broker cannot answer the exit work.

Under load, the commit at exit and the close waited for a coordinator with no bound (and a
KeyboardInterrupt raised inside the client could leave it unable to close): the process did
not exit within 30 s of SIGINT. Here the broker is frozen (SIGSTOP) before the SIGINT, so
nothing the consumer sends at exit is ever answered.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid

import pytest

from tests.support.broker import start_broker
from tests.support.rpk import interrupt, rpk_process, run_in_process

pytestmark = pytest.mark.timeout(180)
EXIT_WITHIN_S = 15


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory):
    """A broker of this module only: the test freezes it."""
    proc = start_broker(tmp_path_factory.mktemp("rpk-stall"))
    yield proc
    proc.stop()


@contextlib.contextmanager
def frozen(broker):
    os.kill(broker.proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(broker.proc.pid, signal.SIGCONT)


@pytest.mark.parametrize("group_flags", [[], ["-g", "stalled"]], ids=["direct", "group"])
def test_sigint_exits_while_broker_is_frozen(home, own_broker, group_flags):
    env = {
        "RPK_BROKERS": own_broker.bootstrap,
        "RPK_ADMIN_HOSTS": f"127.0.0.1:{own_broker.admin_port}",
    }
    topic = f"stall-{uuid.uuid4().hex[:8]}"
    assert run_in_process(["topic", "create", topic], env=env).exit_code == 0
    assert run_in_process(["topic", "produce", topic], env=env, input="a\nb\n").exit_code == 0
    args = ["topic", "consume", topic, *group_flags, "-f", "%v\\n"]
    with rpk_process(args, home, env) as proc:
        assert proc.stdout.readline() == b"a\n"
        assert proc.stdout.readline() == b"b\n"
        with frozen(own_broker):
            time.sleep(0.5)
            started = time.monotonic()
            _, err = interrupt(proc, timeout_s=EXIT_WITHIN_S)
            took_s = time.monotonic() - started
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    assert took_s < EXIT_WITHIN_S
