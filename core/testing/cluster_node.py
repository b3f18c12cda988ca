"""One node of a BrokerCluster: a broker process started from its own redpanda.yaml (ports fixed
there), spawned without waiting so a whole cluster can start at once, and signalled (SIGSTOP,
SIGCONT) by the cluster's fault operations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.testing.process import START_TIMEOUT_S, BrokerProcess, _term_with_parent


class ClusterNode(BrokerProcess):
    """One node: started from its own redpanda.yaml (ports fixed there)."""

    def __init__(self, node_id: int, config_path: Path, data_dir: Path, *extra_args: str) -> None:
        super().__init__(data_dir, *extra_args, die_with_parent=True)
        self.node_id = node_id
        self.config_path = config_path
        self.rpc_port = 0
        self.paused = False

    def command(self) -> list[str]:
        return [
            *self.wrapper,
            sys.executable,
            "-m",
            "core",
            "--config",
            str(self.config_path),
            *self.extra_args,
        ]

    def spawn(self) -> None:
        """Start the process without waiting (BrokerProcess.start's first half)."""
        assert not self.alive, f"node {self.node_id} already running"
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._log_offset = log.tell()
            self.proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(os.environ, PYTHONUNBUFFERED="1"),
                preexec_fn=_term_with_parent,
            )
        self.paused = False

    def wait_ready(self, timeout_s: float) -> None:
        self._wait_ready(timeout_s)

    def start(self, timeout_s: float = START_TIMEOUT_S) -> ClusterNode:
        self.spawn()
        self.wait_ready(timeout_s)
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        assert self.proc is not None and self.alive, f"node {self.node_id} is not running"
        os.kill(self.proc.pid, sig)
