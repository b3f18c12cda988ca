"""rpk cluster self-test start | status | stop: disk and network benchmarks run by every broker,
started, stopped and reported through any one broker's Admin API (it fans out over the internal
RPC, as Redpanda's self_test_frontend), in rpk's layout; on three broker processes, with one
admin host in the profile, the network test runs between every pair."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from core.testing.cluster import BrokerCluster

FAST = ["--no-confirm", "--disk-duration-ms", "200", "--network-duration-ms", "300"]


def wait_idle(rpk, env, timeout_s: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        result = rpk(["cluster", "self-test", "status", "--format", "json"], env=env)
        assert result.exit_code == 0, result.stderr
        reports = json.loads(result.stdout)
        if all(r["status"] == "idle" for r in reports):
            return reports
        assert time.monotonic() < deadline, reports
        time.sleep(0.3)


def test_a_run_on_one_broker_reports_every_test(rpk, kafka_env, broker):
    started = rpk(["cluster", "self-test", "start", *FAST], env=kafka_env)
    assert started.exit_code == 0, started.stderr
    head, tail = started.stdout.splitlines()
    assert head.startswith("Redpanda self-test has started, test identifier: ")
    assert (
        head.endswith(", To check the status run:") and tail == "    rpk cluster self-test status"
    )
    test_id = head.split("identifier: ")[1].split(",")[0]
    running = rpk(["cluster", "self-test", "status"], env=kafka_env).stdout
    assert running.startswith("Node 0 is still running ") or running.startswith("NODE ID: 0")
    (report,) = wait_idle(rpk, kafka_env)
    results = report["results"]
    assert [r["test_type"] for r in results] == ["disk"] * 7 + ["network", "cloud"]
    assert {r["test_id"] for r in results} == {test_id}
    disk = results[0]
    assert list(disk) == [  # rpadmin.SelfTestNodeResult's order, as rpk re-encodes it
        *("p50", "p90", "p99", "p999", "max_latency", "rps", "bps", "timeouts", "test_id"),
        *("name", "info", "test_type", "start_time", "end_time", "duration"),
    ]
    assert disk["name"] == "512KB sequential r/w" and disk["rps"] > 0 and disk["bps"] > 0
    assert 0 < disk["p50"] <= disk["p99"] <= disk["max_latency"]
    assert results[7]["warning"] == "No peers to run the network test against"
    assert results[8]["warning"] == "Cloud storage is not enabled."
    assert not list(broker.data_dir.glob("self_test_*.tmp"))  # the test files are removed
    text = rpk(["cluster", "self-test", "status"], env=kafka_env).stdout.splitlines()
    assert text[:3] == [
        "NODE ID: 0 | STATUS: IDLE",  # rpk's PrintColumn upper-cases the header
        "=========================",
        "NAME          512KB sequential r/w",
    ]
    assert text[text.index("NAME          512KB sequential r/w") + 3] == f"TEST ID       {test_id}"
    latency = next(i for i, line in enumerate(text) if line.startswith("LATENCY"))
    assert text[latency].split() == ["LATENCY", "P50", "P90", "P99", "P999", "MAX"]
    assert all(v.endswith("us") for v in text[latency + 1].split())
    assert any(line.startswith("THROUGHPUT    ") and line.endswith("/sec") for line in text)


def test_stop_ends_a_run_and_only_disk_runs_disk(rpk, kafka_env):
    slow = ["--no-confirm", "--only-disk-test", "--disk-duration-ms", "20000"]
    assert rpk(["cluster", "self-test", "start", *slow], env=kafka_env).exit_code == 0
    time.sleep(0.5)
    again = rpk(["cluster", "self-test", "start", *slow], env=kafka_env)  # Redpanda: stop, start
    assert again.exit_code == 0, again.stderr
    second_id = again.stdout.split("identifier: ")[1].split(",")[0]
    time.sleep(0.5)
    started = time.monotonic()
    stopped = rpk(["cluster", "self-test", "stop"], env=kafka_env)
    assert stopped.exit_code == 0 and stopped.stdout == "All self-test jobs have been stopped\n"
    assert time.monotonic() - started < 10
    (report,) = wait_idle(rpk, kafka_env, timeout_s=5)
    assert {r["test_type"] for r in report.get("results", [])} <= {"disk"}
    assert {r["test_id"] for r in report.get("results", [])} <= {second_id}
    assert len(report.get("results", [])) < 7


def test_start_asks_first_and_checks_its_flags(rpk, kafka_env):
    declined = rpk(["cluster", "self-test", "start"], env=kafka_env, input="n\n")
    assert declined.exit_code == 0 and declined.stdout.rstrip().endswith(
        "self-test start was cancelled"
    )
    both = rpk(
        ["cluster", "self-test", "start", "--only-disk-test", "--only-network-test"], env=kafka_env
    )
    assert both.exit_code == 1
    assert "none of the others can be" in both.stderr


@pytest.mark.cluster
def test_one_admin_host_runs_the_test_on_every_broker(rpk, tmp_path):
    with BrokerCluster(3, tmp_path) as cluster:
        one = f"127.0.0.1:{cluster.nodes[2].admin_port}"  # the profile names one broker
        env = {"RPK_BROKERS": cluster.bootstrap, "RPK_ADMIN_HOSTS": one}
        args = ["cluster", "self-test", "start", "--no-confirm", "--only-network-test"]
        assert rpk([*args, "--network-duration-ms", "300"], env=env).exit_code == 0
        reports = wait_idle(rpk, env)
        assert [r["node_id"] for r in reports] == [0, 1, 2]
        for report in reports:
            (net,) = report["results"]
            assert net["test_type"] == "network" and "error" not in net, net
            assert net["rps"] > 0 and net["bps"] > 0 and net["p50"] > 0
            others = sorted({0, 1, 2} - {report["node_id"]})
            assert f"peers: {others}" in net["info"]
        only = ["--participant-node-ids", "1", "--only-disk-test", "--disk-duration-ms", "100"]
        assert rpk([*args[:4], *only], env=env).exit_code == 0
        reports = wait_idle(rpk, env)  # the others' last results are cleared, as Redpanda's
        assert [[r["test_type"] for r in rep.get("results", [])] for rep in reports] == [
            [],
            ["disk"] * 7,
            [],
        ]
        status = httpx.get(
            f"http://127.0.0.1:{cluster.nodes[0].admin_port}/v1/debug/self_test/status"
        )
        assert [r["node_id"] for r in status.json()] == [0, 1, 2]
        outside = rpk([*args[:4], "--participant-node-ids", "7"], env=env)
        assert outside.exit_code == 1
        assert "Failed to start self test, reason: Request to start self test contained " in (
            outside.stderr
        )


def test_start_refuses_malformed_bodies(broker):
    url = f"{broker.admin_url}/v1/debug/self_test/start"
    for body in (
        {"tests": [{"type": "disk", "duration_ms": "long"}]},
        {"tests": [{"type": "warp"}]},
        {"tests": [], "nodes": ["x"]},
        {"tests": [], "peers": {"1": "http://h:1"}},
        {"tests": "disk"},
        {"tests": []},  # Redpanda's "No tests specified to run"
        {"tests": [{"type": "cloud"}], "nodes": [99]},  # not a member
    ):
        response = httpx.post(url, json=body)
        assert response.status_code == 400, (body, response.text)
