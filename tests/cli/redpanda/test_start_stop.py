"""rpk redpanda start writes redpanda.yaml from its flags and runs the broker; stop signals it by pid.lock."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import psutil
import pytest
import yaml

from tests.cli.conftest import REPO, _clean_env, run_subprocess

pytestmark = pytest.mark.timeout(120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError("condition not met")


def test_start_writes_config_runs_broker_and_stop_ends_it(home, tmp_path):
    cfg, data = tmp_path / "redpanda.yaml", tmp_path / "data"
    cfg.write_text(yaml.safe_dump({"redpanda": {"data_directory": str(data),
                                                "admin": [{"address": "127.0.0.1", "port": _free_port()}]}}))
    kafka_port = _free_port()
    args = ["redpanda", "start", "--config", str(cfg), "--kafka-addr", f"127.0.0.1:{kafka_port}",
            "--rpc-addr", f"127.0.0.1:{_free_port()}", "--node-id", "0",
            "--set", "redpanda.auto_create_topics_enabled=false", "--check=false"]
    log = open(tmp_path / "start.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", *args], stdout=log, stderr=subprocess.STDOUT,
                            env=_clean_env(home), cwd=REPO)
    try:
        _wait_for(lambda: b"Ailurus ready" in (tmp_path / "start.log").read_bytes() or proc.poll() is not None)
        output = (tmp_path / "start.log").read_text()
        assert proc.poll() is None, output
        assert "Running:" in output and f"--config {cfg}" in output
        doc = yaml.safe_load(cfg.read_text())
        rp = doc["redpanda"]
        assert rp["kafka_api"] == [{"address": "127.0.0.1", "port": kafka_port}]
        assert rp["node_id"] == 0 and rp["auto_create_topics_enabled"] is False
        pid = int((data / "pid.lock").read_text())
        assert psutil.pid_exists(pid)

        env = {"RPK_BROKERS": f"127.0.0.1:{kafka_port}"}
        listed = run_subprocess(["cluster", "info", "-b"], home, env=env)
        assert listed.exit_code == 0 and str(kafka_port) in listed.stdout

        stopped = run_subprocess(["redpanda", "stop", "--config", str(cfg), "--timeout", "20s"], home)
        assert stopped.exit_code == 0, stopped.stderr
        assert "Stopping redpanda" in stopped.stdout
        assert proc.wait(timeout=30) == 0
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def test_stop_without_pid_file_fails_cleanly(rpk, tmp_path):
    cfg = tmp_path / "redpanda.yaml"
    cfg.write_text(yaml.safe_dump({"redpanda": {"data_directory": str(tmp_path / "nodata")}}))
    res = rpk(["redpanda", "stop", "--config", str(cfg)])
    assert res.exit_code == 1 and "pid file" in res.stderr
