"""rpk redpanda start writes redpanda.yaml from its flags and runs the broker; stop signals it by pid.lock."""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import yaml
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from cli.config.redpanda_yaml import DEV_CONTAINER_PROPERTIES
from tests.support.broker import READY
from tests.support.rpk import REPO, clean_env, rpk_command, run_in_process
from tests.support.wait import wait_for

pytestmark = pytest.mark.timeout(120)


@contextlib.contextmanager
def _rpk_start(args: list[str], home: Path, log_path: Path):
    """`rpk <args>` in the background until the broker says it is ready; killed if still running at exit."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            rpk_command(*args),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=clean_env(home),
            cwd=REPO,
        )
    try:
        wait_for(
            lambda: b"Ailurus ready" in log_path.read_bytes() or proc.poll() is not None,
            "the broker started by rpk to be ready",
            timeout_s=30,
        )
        assert proc.poll() is None, log_path.read_text()
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _stop(cfg: Path, home: Path, proc: subprocess.Popen, pid: int) -> None:
    stopped = run_in_process(["redpanda", "stop", "--config", str(cfg), "--timeout", "20s"])
    assert stopped.exit_code == 0, stopped.stderr
    assert "Stopping redpanda" in stopped.stdout
    assert proc.wait(timeout=30) == 0
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_start_writes_config_runs_broker_and_stop_ends_it(home, tmp_path):
    cfg, data = tmp_path / "redpanda.yaml", tmp_path / "data"
    cfg.write_text(
        yaml.safe_dump(
            {
                "redpanda": {
                    "data_directory": str(data),
                    "admin": [{"address": "127.0.0.1", "port": 0}],
                }
            }
        )
    )
    args = [
        "redpanda",
        "start",
        "--config",
        str(cfg),
        "--kafka-addr",
        "127.0.0.1:0",
        "--rpc-addr",
        "127.0.0.1:0",
        "--node-id",
        "0",
        "--set",
        "redpanda.auto_create_topics_enabled=false",
        "--check=false",
    ]
    with _rpk_start(args, home, tmp_path / "start.log") as proc:
        output = (tmp_path / "start.log").read_text()
        assert "Running:" in output and f"--config {cfg}" in output
        doc = yaml.safe_load(cfg.read_text())
        rp = doc["redpanda"]
        assert rp["kafka_api"] == [{"address": "127.0.0.1", "port": 0}]  # as given, ephemeral
        kafka_port = int(READY.search(output).group(3))
        assert rp["node_id"] == 0 and rp["auto_create_topics_enabled"] is False
        pid = int((data / "pid.lock").read_text())
        assert psutil.pid_exists(pid)

        env = {"RPK_BROKERS": f"127.0.0.1:{kafka_port}"}
        listed = run_in_process(["cluster", "info", "-b"], env=env)
        assert listed.exit_code == 0 and str(kafka_port) in listed.stdout

        _stop(cfg, home, proc, pid)


def test_dev_container_mode_serves_kafka_and_stop_ends_it(home, tmp_path):
    cfg, data, log = tmp_path / "redpanda.yaml", tmp_path / "data", tmp_path / "dev.log"
    cfg.write_text(
        yaml.safe_dump(
            {
                "redpanda": {
                    "data_directory": str(data),
                    "admin": [{"address": "127.0.0.1", "port": 0}],
                }
            }
        )
    )
    args = [
        "redpanda",
        "start",
        "--mode",
        "dev-container",
        "--config",
        str(cfg),
        "--kafka-addr",
        "127.0.0.1:0",
        "--rpc-addr",
        "127.0.0.1:0",
        "--check",
    ]
    with _rpk_start(args, home, log) as proc:
        output = log.read_text()
        assert "WARNING: This is a setup for development purposes only" in output
        assert (
            "System check" not in output
        )  # dev-container turns the checks off, even after --check
        rp = yaml.safe_load(cfg.read_text())["redpanda"]
        assert rp["developer_mode"] is True
        assert {k: rp[k] for k in DEV_CONTAINER_PROPERTIES} == DEV_CONTAINER_PROPERTIES
        bootstrap = "127.0.0.1:" + READY.search(output).group(3)

        # auto_create_topics_enabled (a dev-container setting) lets the producer create the topic.
        producer = KafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=20000)
        try:
            sent = producer.send("dev-topic", key=b"k", value=b"hello dev-container").get(
                timeout=30
            )
        finally:
            producer.close(timeout=5)
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=1000)
        try:
            partition = TopicPartition("dev-topic", sent.partition)
            consumer.assign([partition])
            consumer.seek(partition, sent.offset)
            records = []
            deadline = time.monotonic() + 30
            while not records and time.monotonic() < deadline:
                records = consumer.poll(timeout_ms=1000, max_records=1).get(partition, [])
        finally:
            consumer.close()
        assert [(r.key, r.value) for r in records] == [(b"k", b"hello dev-container")]

        _stop(cfg, home, proc, int((data / "pid.lock").read_text()))

    # The cluster properties dev-container wrote are what `rpk cluster config lint` cleans up.
    linted = run_in_process(["cluster", "config", "lint", "--config", str(cfg)])
    assert linted.exit_code == 0, linted.stderr
    rp = yaml.safe_load(cfg.read_text())["redpanda"]
    assert not set(DEV_CONTAINER_PROPERTIES) & set(rp) and rp["developer_mode"] is True


def test_stop_without_pid_file_fails_cleanly(rpk, tmp_path):
    cfg = tmp_path / "redpanda.yaml"
    cfg.write_text(yaml.safe_dump({"redpanda": {"data_directory": str(tmp_path / "nodata")}}))
    res = rpk(["redpanda", "stop", "--config", str(cfg)])
    assert res.exit_code == 1 and "pid file" in res.stderr
