"""rpk cluster config lint removes cluster properties and unrecognised keys from a real redpanda.yaml."""

from __future__ import annotations

import os
import stat

import yaml

STALE = """\
# written by an old rpk
organization: acme
config_file: /etc/redpanda/redpanda.yaml
redpanda:
  data_directory: /var/lib/redpanda/data
  node_id: 1
  kafka_api:
  - address: 0.0.0.0
    port: 9092
  admin:
  - address: 127.0.0.1
    port: 9644
  developer_mode: true
  auto_create_topics_enabled: true
  delete_retention_ms: 1000
  fetch_reads_debounce_timeout: 10
  coproc_supervisor_server:
    address: 0.0.0.0
    port: 43189
rpk:
  enable_usage_stats: true
  tune_cpu: true
  coredump_dir: /var/lib/redpanda/coredump
pandaproxy: {}
schema_registry:
  schema_registry_api:
  - address: 0.0.0.0
    port: 8081
"""

LINTED = {
    "redpanda": {
        "data_directory": "/var/lib/redpanda/data",
        "node_id": 1,
        "kafka_api": [{"address": "0.0.0.0", "port": 9092}],
        "admin": [{"address": "127.0.0.1", "port": 9644}],
        "developer_mode": True,
    },
    "rpk": {"tune_cpu": True, "coredump_dir": "/var/lib/redpanda/coredump"},
    "pandaproxy": {},
    "schema_registry": {"schema_registry_api": [{"address": "0.0.0.0", "port": 8081}]},
}


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_lint_removes_deprecated_content_and_is_idempotent(rpk, tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    cfg = etc / "redpanda.yaml"
    cfg.write_text(STALE)
    cfg.chmod(0o600)

    res = rpk(["cluster", "config", "lint", "--config", str(cfg)])
    assert res.exit_code == 0, res.stderr
    out = res.stdout
    props = out.split("Removed cluster properties", 1)[1].split("Removed keys", 1)[0]
    assert [line.strip() for line in props.splitlines() if line.startswith(" - ")] == [
        "- auto_create_topics_enabled",
        "- delete_retention_ms",
        "- fetch_reads_debounce_timeout",
    ]
    unknown = out.split("Removed keys rpk no longer recognises:", 1)[1]
    for key in (
        "organization",
        "config_file",
        "redpanda.coproc_supervisor_server",
        "rpk.enable_usage_stats",
    ):
        assert f" - {key}\n" in unknown
    assert f'Rewrote configuration file "{cfg}"' in out

    assert yaml.safe_load(cfg.read_text()) == LINTED
    assert _mode(cfg) == 0o644
    assert [p.name for p in etc.iterdir()] == ["redpanda.yaml"]  # no temporary file left behind

    before = os.stat(cfg)
    again = rpk(["cluster", "config", "lint", "--config", str(cfg)])
    assert again.exit_code == 0, again.stderr
    assert "No deprecated content found" in again.stdout and "Removed" not in again.stdout
    after = os.stat(cfg)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not rewritten


def test_lint_leaves_a_clean_file_byte_for_byte(rpk, tmp_path):
    cfg = tmp_path / "redpanda.yaml"
    text = (
        "# hand-written, with a comment\nredpanda:\n  data_directory: /data   # keep\n  rack: r1\n"
    )
    cfg.write_text(text)
    res = rpk(["cluster", "config", "lint", "--config", str(cfg)])
    assert res.exit_code == 0, res.stderr
    assert cfg.read_text() == text


def test_lint_finds_redpanda_yaml_in_the_working_directory(rpk, tmp_path):
    (tmp_path / "redpanda.yaml").write_text(
        "redpanda:\n  data_directory: /d\n  enable_sasl: true\n"
    )
    res = rpk(["cluster", "config", "lint"], cwd=tmp_path)
    assert res.exit_code == 0, res.stderr
    assert " - enable_sasl" in res.stdout
    assert yaml.safe_load((tmp_path / "redpanda.yaml").read_text()) == {
        "redpanda": {"data_directory": "/d"}
    }


def test_lint_on_a_missing_file_is_one_error_line(rpk, tmp_path):
    missing = tmp_path / "absent.yaml"
    res = rpk(["cluster", "config", "lint", "--config", str(missing)])
    assert res.exit_code == 1
    assert f"unable to read {missing}" in res.stderr and "Traceback" not in res.stderr
    assert not missing.exists()
