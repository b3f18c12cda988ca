"""`run_broker`: the shared BrokerProcess harness as a context manager, for the Admin API tests."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.broker import BrokerProcess


@dataclass(frozen=True)
class RunningBroker:
    kafka: str
    admin_url: str
    process: subprocess.Popen


@contextlib.contextmanager
def run_broker(data_dir: Path, *extra: str) -> Iterator[RunningBroker]:
    broker = BrokerProcess(Path(data_dir) / "data", *extra, "--node-id", "0").start()
    try:
        yield RunningBroker(broker.bootstrap, broker.admin_url, broker.proc)
    finally:
        broker.stop()
