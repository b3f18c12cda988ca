"""Start real `ailurus` broker processes on free 127.0.0.1 ports (tests, benchmarks).

Shipped with the package (bench and, later, a pytest plugin use it); tests import it through
tests/support/broker.py."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from core.testing.ports import reserve_ports

READY = re.compile(r"Ailurus ready: node_id=(\d+) kafka=([\d.]+):(\d+) admin=([\d.]+):(\d+)")
START_TIMEOUT_S = 30.0
FIRST_START_ATTEMPTS = 3  # a reserved port lost to another test between reservation and bind
PORT_IN_USE = "address already in use"
STOP_TIMEOUT_S = 20.0


class BrokerExited(RuntimeError):
    """The broker process ended before its ready line."""

    def __init__(self, returncode: int, log_tail: str) -> None:
        super().__init__(f"broker exited with {returncode}:\n{log_tail}")
        self.returncode = returncode
        self.log_tail = log_tail


class BrokerProcess:
    """One broker process. Kafka and admin ports are reserved below the kernel's ephemeral range
    at first start (core.testing.ports) and kept across restarts."""

    def __init__(
        self,
        data_dir: Path,
        *extra_args: str,
        log_path: Path | None = None,
        wrapper: list[str] | None = None,
        die_with_parent: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.wrapper = list(wrapper or [])  # e.g. ["strace", "-f", ...]: runs the broker under it
        self.extra_args = list(extra_args)
        # Linux: the broker gets SIGTERM when the process that started it dies (a killed
        # pytest run leaves no broker behind)
        self.die_with_parent = die_with_parent
        self.log_path = log_path or self.data_dir.parent / f"{self.data_dir.name}.log"
        self.kafka_port = 0
        self.admin_port = 0
        self.node_id = -1
        self.proc: subprocess.Popen | None = None
        self._log_offset = 0

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def listener_url(self, name: str) -> str:
        """http://host:port of an extra listener (`pandaproxy`, `schema_registry`), from the
        ready line of the latest start."""
        pattern = re.compile(rf"Ailurus ready: .*\b{re.escape(name)}=([\w.:-]+):(\d+) ")
        matches = pattern.findall(self.log_text(since_start=True))
        if not matches:
            raise RuntimeError(f"the broker's ready line names no {name} listener")
        host, port = matches[-1]
        return f"http://{host}:{port}"

    def command(self) -> list[str]:
        return [
            *self.wrapper,
            sys.executable,
            "-m",
            "core",
            "--data-dir",
            str(self.data_dir),
            "--kafka-addr",
            f"127.0.0.1:{self.kafka_port}",
            "--admin-addr",
            f"127.0.0.1:{self.admin_port}",
            "--rpc-addr",
            "127.0.0.1:0",
            *self.extra_args,
        ]

    def start(self, timeout_s: float = START_TIMEOUT_S) -> BrokerProcess:
        assert self.proc is None or self.proc.poll() is not None, "broker already running"
        if self.kafka_port or self.admin_port:  # a restart, or ports the caller chose
            return self._start_once(timeout_s)
        for attempt in range(1, FIRST_START_ATTEMPTS + 1):
            self.kafka_port, self.admin_port = reserve_ports(2)
            try:
                return self._start_once(timeout_s)
            except BrokerExited as exc:
                if PORT_IN_USE not in exc.log_tail or attempt == FIRST_START_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def _start_once(self, timeout_s: float) -> BrokerProcess:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self._log_offset = log.tell()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=_term_with_parent if self.die_with_parent else None,
        )
        log.close()
        self._wait_ready(timeout_s)
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        proc = self.proc
        assert proc is not None, "start() first"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.log_text(since_start=True)
            match = READY.search(text)
            if match:
                self.node_id = int(match.group(1))
                self.kafka_port = int(match.group(3))
                self.admin_port = int(match.group(5))
                return
            if proc.poll() is not None:
                raise BrokerExited(proc.returncode, text[-4000:])
            time.sleep(0.05)
        self.kill()
        raise TimeoutError(
            f"broker not ready after {timeout_s}s:\n{self.log_text(since_start=True)[-4000:]}"
        )

    def log_text(self, since_start: bool = False) -> str:
        try:
            with open(self.log_path, "rb") as f:
                if since_start:
                    f.seek(self._log_offset)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM and wait: a clean shutdown. Returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=timeout_s)
            raise

    def kill(self) -> None:
        """SIGKILL: a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)

    def restart(self, *, crash: bool = False) -> BrokerProcess:
        self.kill() if crash else self.stop()
        return self.start()

    def __enter__(self) -> BrokerProcess:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.kill() if exc[0] is not None else self.stop()


def _term_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies (prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def start_broker(tmp_path: Path, *extra_args: str, name: str = "broker") -> BrokerProcess:
    return BrokerProcess(Path(tmp_path) / name, *extra_args).start()
