"""Run the real `ailurus` broker as a subprocess on ephemeral ports (until tests/support/broker.py lands)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

READY_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15
_READY = re.compile(r"kafka=(\S+):(\d+) admin=(\S+):(\d+)")
AILURUS = Path(sys.executable).with_name("ailurus")


@dataclass(frozen=True)
class RunningBroker:
    kafka: str
    admin_url: str
    process: subprocess.Popen


def _wait_ready(proc: subprocess.Popen) -> re.Match:
    found: list[re.Match] = []

    def scan() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            match = _READY.search(line)
            if match:
                found.append(match)
                return

    reader = threading.Thread(target=scan, daemon=True)
    reader.start()
    reader.join(READY_TIMEOUT_S)
    if not found:
        raise RuntimeError(f"broker did not print its ready line within {READY_TIMEOUT_S}s")
    return found[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def run_broker(data_dir: Path, *extra: str, kafka_port: int = 0) -> Iterator[RunningBroker]:
    """kafka_port=0 binds an ephemeral port; Kafka clients need a fixed one while metadata
    advertises the configured port (0) instead of the bound one."""
    cmd = [str(AILURUS), "--data-dir", str(data_dir), "--node-id", "0", "--kafka-addr", f"127.0.0.1:{kafka_port}",
           "--admin-addr", "127.0.0.1:0", "--rpc-addr", "127.0.0.1:0", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        m = _wait_ready(proc)
        yield RunningBroker(f"{m.group(1)}:{m.group(2)}", f"http://{m.group(3)}:{m.group(4)}", proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT_S)
        if proc.stdout:
            proc.stdout.close()
