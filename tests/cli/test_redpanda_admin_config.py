"""rpk redpanda admin config print | log-level set against a real broker's Admin API, and the
log-level endpoints themselves (levels change at runtime and revert when they expire)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import time

import httpx

from tests.support.rpk import clean_env, rpk_command


def admin_get(broker, path: str):
    return httpx.get(f"{broker.admin_url}{path}", timeout=5)


def test_config_print_is_the_cluster_config_with_defaults_as_indented_json(rpk, kafka_env, broker):
    host = f"127.0.0.1:{broker.admin_port}"
    result = rpk(["redpanda", "admin", "config", "print", "--host", host], env=kafka_env)
    assert result.exit_code == 0, result.stderr
    conf = json.loads(result.stdout)
    assert conf == admin_get(broker, "/v1/cluster_config?include_defaults=true").json()
    assert result.stdout.startswith('{\n  "')  # Go's MarshalIndent(conf, "", "  "), keys sorted
    keys = [line.split('"')[1] for line in result.stdout.splitlines()[1:-1] if line[:3] == '  "']
    assert keys == sorted(keys)
    for alias in ("dump", "list", "ls", "display"):  # by index into the admin addresses
        again = rpk(["redpanda", "admin", "config", alias, "--host", "0"], env=kafka_env)
        assert again.exit_code == 0 and json.loads(again.stdout).keys() == conf.keys()


def test_config_print_requires_a_host_in_range(rpk, kafka_env):
    missing = rpk(["redpanda", "admin", "config", "print"], env=kafka_env)
    assert missing.exit_code == 1 and 'required flag(s) "host" not set' in missing.stderr
    out_of_range = rpk(["redpanda", "admin", "config", "print", "--host", "3"], env=kafka_env)
    assert out_of_range.exit_code == 1
    assert "admin host 3 is out of allowed range [0, 1)" in out_of_range.stderr


def test_log_level_set_changes_the_level_until_it_expires(rpk, kafka_env, broker):
    before = admin_get(broker, "/v1/config/log_level/raft").json()
    args = ["redpanda", "admin", "config", "log-level", "set", "raft", "kafka", "nope"]
    set_at = time.monotonic()
    result = rpk([*args, "-l", "trace", "-e", "2", "--host", "0"], env=kafka_env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "SUCCESSES\nraft\nkafka\n\nFAILURES\nnope: Cannot set log level: unknown logger {nope}\n\n"
    )
    now = admin_get(broker, "/v1/config/log_level/raft").json()
    if now["level"] == "trace":
        assert now["expiration"] in (0, 1, 2)
    else:  # a loaded host: the 2 s passed before this read, and the override is gone
        assert time.monotonic() - set_at >= 2, now
    deadline = time.monotonic() + 10
    while admin_get(broker, "/v1/config/log_level/raft").json()["level"] == "trace":
        assert time.monotonic() < deadline, "the override did not expire"
        time.sleep(0.2)
    assert admin_get(broker, "/v1/config/log_level/raft").json() == before


def test_log_level_endpoint_refuses_bad_levels_and_keeps_overrides_without_expiry(broker):
    base = f"{broker.admin_url}/v1/config/log_level"
    bad = httpx.put(f"{base}/kafka", params={"level": "loud"}, timeout=5)
    assert bad.status_code == 400
    assert bad.json()["message"] == "Cannot set log level for {kafka}: unknown level {loud}"
    bad = httpx.put(f"{base}/kafka", params={"level": "info", "expires": "-1"}, timeout=5)
    assert bad.status_code == 400 and "invalid expires value" in bad.json()["message"]
    ok = httpx.put(f"{base}/storage", params={"level": "debug", "expires": "0"}, timeout=5)
    assert ok.json() == {
        "name": "storage",
        "previous_level": "info",
        "new_level": "debug",
        "expiration": 0,
    }
    loggers = admin_get(broker, "/v1/loggers?include-levels=true").json()
    assert {"name": "storage", "level": "debug"} in loggers
    httpx.put(f"{base}/storage", params={"level": "info", "expires": "0"}, timeout=5)


def test_log_level_set_without_loggers_reads_the_pick_from_stdin(rpk, kafka_env, broker):
    base = ["redpanda", "admin", "config", "log-level", "set", "-e", "1", "--host", "0"]
    ended = rpk(base, env=kafka_env, input="")  # survey's read ends: rpk's error, exit 1
    assert ended.exit_code == 1
    assert ended.stderr == "unable to pick logger: EOF\n" and ended.stdout == ""
    picked = rpk(base, env=kafka_env, input="RAF\n")  # survey's filter, Enter: first match
    assert picked.exit_code == 0, picked.stderr
    assert picked.stdout == "SUCCESSES\nraft\n\n"


def test_log_level_set_prompts_on_a_terminal(home, kafka_env, broker):
    leader, follower = pty.openpty()
    args = ["redpanda", "admin", "config", "log-level", "set", "-e", "1", "--host", "0"]
    proc = subprocess.Popen(
        rpk_command(*args),
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**clean_env(home), **kafka_env},
    )
    os.close(follower)
    os.write(leader, b"storage\n")
    out, err = proc.communicate(timeout=60)
    os.close(leader)
    assert proc.returncode == 0, err
    assert out.decode() == "SUCCESSES\nstorage\n\n"
    assert "? Which logger would you like to set (all selects everything)?\n  all\n" in err.decode()
