"""rpk debug bundle against a real broker: the zip's contents (Kafka metadata with topics and
groups, redacted redpanda.yaml, Admin API state, metrics samples, logs, data directory, disk
usage, /proc and OS facts), rpk's flag checks and path rules, and the Admin API's remote
bundle (/v1/debug/bundle) that runs it on the broker."""

from __future__ import annotations

import json
import time
import uuid
import zipfile

import httpx
import pytest
import yaml

SECRET = "hunter2-secret"


@pytest.fixture
def bundle_env(broker, kafka_env, tmp_path):
    """A redpanda.yaml naming the broker's data directory and carrying credentials."""
    doc = {
        "redpanda": {"data_directory": str(broker.data_dir), "node_id": 0},
        "rpk": {"kafka_api": {"sasl": {"user": "admin", "password": SECRET}}},
        "pandaproxy_client": {"scram_username": "proxy", "scram_password": SECRET},
        "schema_registry_client": {"scram_password": SECRET},
    }
    path = tmp_path / "redpanda.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_bundle_collects_what_support_asks_for(rpk, kafka_env, broker, bundle_env, tmp_path):
    assert rpk(["topic", "create", "bundled", "-p", "2"], env=kafka_env).exit_code == 0
    seek = rpk(
        [
            "group",
            "seek",
            "bundle-group",
            "--to",
            "start",
            "--topics",
            "bundled",
            "--allow-new-topics",
        ],
        env=kafka_env,
    )
    assert seek.exit_code == 0, seek.stderr
    httpx.put(
        f"{broker.admin_url}/v1/config/log_level/kafka", params={"level": "info", "expires": "1"}
    )
    out = tmp_path / "support"
    args = [
        "debug",
        "bundle",
        "--config",
        str(bundle_env),
        "-o",
        str(out),
        "--metrics-interval",
        "1s",
    ]
    result = rpk(
        [
            *args,
            "-X",
            f"brokers={broker.bootstrap}",
            "-X",
            f"admin.hosts=127.0.0.1:{broker.admin_port}",
            "-X",
            "user=",
            "-X",
            "pass=",
        ],
        env=kafka_env,
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Creating bundle file..."
    assert lines[-1] == f"Debug bundle saved to '{out}.zip'"
    z = zipfile.ZipFile(f"{out}.zip")
    names = set(z.namelist())
    assert all(n.startswith("support/") for n in names)

    def read(name: str) -> str:
        return z.read(f"support/{name}").decode()

    host = f"127.0.0.1-{broker.admin_port}"
    kafka = {e["Name"]: e for e in json.loads(read("kafka.json"))["requests"]}
    assert kafka["topics"]["Error"] is None
    assert "bundled" in {t["name"] for t in kafka["topics"]["Response"]}
    assert any("bundle-group" in json.dumps(g) for g in kafka["groups"]["Response"])
    assert "bundled/0" in kafka["group_commits_bundle-group"]["Response"]
    config = yaml.safe_load(read("redpanda.yaml"))
    assert SECRET not in read("redpanda.yaml")
    assert config["rpk"]["kafka_api"]["sasl"] == {"user": "(REDACTED)", "password": "(REDACTED)"}
    assert config["pandaproxy_client"]["scram_password"] == "(REDACTED)"
    assert config["redpanda"]["data_directory"] == str(broker.data_dir)
    live = httpx.get(f"{broker.admin_url}/v1/cluster_config?include_defaults=true").json()
    assert json.loads(read("admin/cluster_config.json")) == live
    assert json.loads(read("admin/health_overview.json"))["is_healthy"] in (True, False)
    assert json.loads(read(f"admin/node_config_{host}.json"))["node_id"] == 0
    for sample in ("t0", "t1"):
        assert "# TYPE" in read(f"metrics/{host}/{sample}_metrics.txt")
        assert "redpanda_" in read(f"metrics/{host}/{sample}_public_metrics.txt")
    assert "Set log level for {kafka}" in read(f"logs/{host}.log")
    tree = json.loads(read("data-dir.txt"))
    assert any("/bundled/" in path or path.endswith("/bundled") for path in tree)
    assert str(broker.data_dir) in read("utils/du.txt")
    assert any(n.startswith("support/controller-logs/redpanda/controller/0_0/") for n in names)
    for name in ("proc/cpuinfo", "proc/mounts", "resource-usage.json", "utils/uname.txt"):
        assert f"support/{name}" in names, name
    assert json.loads(read("resource-usage.json"))["cpus"] >= 1


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--metrics-samples", "1"], "--metrics-samples must be 2 or higher"),
        (["--cpu-profiler-wait", "10s"], "--cpu-profiler-wait must be higher than 15 seconds"),
        (["-o", "x.tar"], 'unable to determine filepath "x.tar": extension ".tar" not supported'),
        (["--logs-size-limit", "lots"], "unable to parse --logs-size-limit: invalid size: 'lots'"),
    ],
)
def test_bundle_flag_checks(rpk, kafka_env, tmp_path, flags, message):
    result = rpk(["debug", "bundle", *flags], env=kafka_env, cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.strip() == message


def test_bundle_refuses_a_directory_as_output(rpk, kafka_env, tmp_path):
    result = rpk(["debug", "bundle", "-o", str(tmp_path)], env=kafka_env)
    assert result.exit_code == 1
    assert "output file path is a directory, please specify the name of the file" in result.stderr


def test_remote_bundle_runs_rpk_on_the_broker(broker):
    base = f"{broker.admin_url}/v1/debug/bundle"
    job = str(uuid.uuid4())
    started = httpx.post(base, json={"job_id": job, "config": {"metrics_interval_seconds": 1}})
    assert started.status_code == 200 and started.json() == {"job_id": job}
    busy = httpx.post(base, json={"job_id": str(uuid.uuid4())})
    assert busy.status_code == 409
    assert httpx.post(base, json={"job_id": "nope"}).status_code == 422
    deadline = time.monotonic() + 60
    while (status := httpx.get(base).json())["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert status["status"] == "success", status
    assert status["filename"] == f"{job}.zip" and status["file_size"] > 0
    assert status["stdout"][-1].startswith("Debug bundle saved to")
    download = httpx.get(f"{base}/file/{job}.zip", timeout=10)
    assert download.status_code == 200
    path = broker.data_dir.parent / "remote.zip"
    path.write_bytes(download.content)
    z = zipfile.ZipFile(path)
    kafka = json.loads(z.read(f"{job}/kafka.json"))
    assert {e["Name"]: e["Error"] for e in kafka["requests"]}["topics"] is None
    assert httpx.delete(f"{base}/file/{job}.zip").status_code == 204
    assert httpx.get(f"{base}/file/{job}.zip").status_code == 404


def test_bundle_kafka_metadata_reads_as_json_objects(rpk, kafka_env, broker, bundle_env, tmp_path):
    out = tmp_path / "k.zip"
    args = [
        "debug",
        "bundle",
        "--config",
        str(bundle_env),
        "-o",
        str(out),
        "--metrics-interval",
        "1s",
    ]
    assert rpk([*args, "-X", "user=", "-X", "pass="], env=kafka_env).exit_code == 0
    kafka = json.loads(zipfile.ZipFile(out).read("k/kafka.json"))
    by_name = {e["Name"]: e for e in kafka["requests"]}
    assert by_name["broker_configs"]["Error"] is None
    assert by_name["broker_configs"]["Response"] and by_name["topic_configs"]["Response"]
    assert all(isinstance(v, (dict, int)) for v in by_name["high_watermarks"]["Response"].values())


def test_remote_bundle_refuses_malformed_configs(broker):
    base = f"{broker.admin_url}/v1/debug/bundle"
    for config in ({"metrics_samples": "two"}, {"logs_since": "--upload-url=x"}, []):
        response = httpx.post(base, json={"job_id": str(uuid.uuid4()), "config": config})
        assert response.status_code == 422, (config, response.text)
