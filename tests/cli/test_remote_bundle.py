"""rpk debug remote-bundle start | status | download | cancel against a real broker's
/v1/debug/bundle: rpk's tables, prompts and messages; the download packs the broker's bundle."""

from __future__ import annotations

import time
import uuid
import zipfile


def _wait_done(rpk, env, timeout_s: float = 90) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        out = rpk(["debug", "remote-bundle", "status"], env=env).stdout
        row = out.splitlines()[1].split()
        if row[1] != "running":
            return row[1]
        assert time.monotonic() < deadline, out
        time.sleep(0.5)


def test_start_status_download(rpk, kafka_env, broker, tmp_path):
    host = f"127.0.0.1:{broker.admin_port}"
    declined = rpk(["debug", "remote-bundle", "start"], env=kafka_env, input="n\n")
    assert declined.exit_code == 0
    assert declined.stdout.startswith(f"BROKER\n{host}\n")
    assert declined.stdout.rstrip().endswith(
        "operation canceled; if you want to select a single broker, use "
        "-X admin.hosts=<brokers,to,collect>"
    )
    job = str(uuid.uuid4())
    args = ["debug", "remote-bundle", "start", "--no-confirm", "--job-id", job]
    started = rpk([*args, "--metrics-interval", "1s"], env=kafka_env)
    assert started.exit_code == 0, started.stdout + started.stderr
    lines = started.stdout.splitlines()
    assert lines[:2] == ["BROKER           JOB-ID", f"{host}  {job}"]
    assert f"started with Job-ID {job}. To check the " in started.stdout
    again = rpk(args, env=kafka_env)  # one collection at a time
    assert again.exit_code == 1
    assert "A debug bundle collection is already in process" in again.stdout
    assert _wait_done(rpk, kafka_env) == "success"
    status = rpk(["debug", "remote-bundle", "status", "--format", "json"], env=kafka_env)
    assert status.stdout.startswith(f'[{{"broker":"{host}","status":"success","job_id":"{job}"')
    out = tmp_path / "remote"
    done = rpk(
        ["debug", "remote-bundle", "download", "--no-confirm", "-o", str(out)], env=kafka_env
    )
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["BROKER           DOWNLOADED", f"{host}  true"]
    assert done.stdout.rstrip().endswith(
        f"Successfully downloaded remote debug bundle to {out}.zip"
    )
    outer = zipfile.ZipFile(f"{out}.zip")
    inner_name = f"remote/{host.replace(':', '-')}/{job}.zip"
    assert outer.namelist() == [inner_name]
    inner = zipfile.ZipFile(outer.open(inner_name))
    assert f"{job}/admin/cluster_config.json" in inner.namelist()


def test_cancel_a_running_collection(rpk, kafka_env):
    args = ["debug", "remote-bundle", "start", "--no-confirm", "--metrics-interval", "20s"]
    assert rpk(args, env=kafka_env).exit_code == 0
    canceled = rpk(["debug", "remote-bundle", "cancel", "--no-confirm"], env=kafka_env)
    assert canceled.exit_code == 0, canceled.stdout
    assert canceled.stdout.splitlines()[1].split()[1] == "true"
    assert _wait_done(rpk, kafka_env) == "error"
    nothing = rpk(["debug", "remote-bundle", "download", "--no-confirm"], env=kafka_env)
    assert nothing.exit_code == 1
    assert nothing.stderr.strip() == (
        "There are no bundles ready for download; to check status run "
        "'rpk debug remote-bundle status'"
    )
