"""`rpk cluster config get|set|export|import|edit|status` against a live Admin API."""

from __future__ import annotations

import sys

import yaml


def test_get_and_set_with_types_and_reset(rpk):
    assert rpk("cluster", "config", "get", "log_retention_ms").output == "604800000\n"
    result = rpk("cluster", "config", "set", "log_retention_ms", "3600000")
    assert result.exit_code == 0, result.output
    assert result.output == "Successfully updated configuration. New configuration version is 1.\n"
    assert rpk.svc.cluster_config.get("log_retention_ms") == 3600000
    assert rpk("cluster", "config", "set", "auto_create_topics_enabled=true").exit_code == 0
    assert rpk.svc.cluster_config.get("auto_create_topics_enabled") is True
    assert rpk("cluster", "config", "set", "superusers", "alice,bob").exit_code == 0
    assert rpk("cluster", "config", "get", "superusers").output == "- alice\n- bob\n"
    assert rpk("cluster", "config", "set", "log_segment_ms", "null").exit_code == 0
    assert rpk("cluster", "config", "set", "log_retention_ms", "").exit_code == 0
    assert rpk.svc.cluster_config.values(include_defaults=False) == {
        "auto_create_topics_enabled": True,
        "superusers": ["alice", "bob"],
        "log_segment_ms": None,
    }


def test_set_restart_note_and_rejections(rpk):
    restart = rpk("cluster", "config", "set", "enable_idempotence", "false")
    assert "Cluster needs to be restarted" in restart.output
    bad_type = rpk("cluster", "config", "set", "default_topic_partitions", "many")
    assert bad_type.exit_code == 1
    assert str(bad_type.exception) == (  # rpk's text
        "No changes were made: Validation errors:\n"
        " * default_topic_partitions: expected integer, got string\n\n"
    )
    assert str(rpk("cluster", "config", "set", "nope", "1").exception) == 'Unknown property "nope"'
    assert "below the minimum 1" in str(
        rpk("cluster", "config", "set", "default_topic_partitions", "0").exception
    )
    missing = rpk("cluster", "config", "get", "nope")
    assert missing.exit_code == 1 and str(missing.exception) == "Property 'nope' not found"


def test_status_table(rpk):
    rpk("cluster", "config", "set", "group_topic_partitions", "8")
    lines = rpk("cluster", "config", "status").output.splitlines()
    assert lines[0].split() == ["NODE", "CONFIG-VERSION", "NEEDS-RESTART", "INVALID", "UNKNOWN"]
    assert lines[1].split() == ["0", "1", "true", "[]", "[]"]


def test_export_then_import_roundtrip(rpk, tmp_path):
    path = tmp_path / "cfg.yaml"
    assert (
        rpk("cluster", "config", "export", "-f", str(path)).output
        == f'Wrote configuration to file "{path}".\n'
    )
    exported = yaml.safe_load(path.read_text())
    assert exported["log_retention_ms"] == 604800000 and "raft_election_timeout_ms" not in exported
    assert "raft_election_timeout_ms" in yaml.safe_load(
        (rpk("cluster", "config", "export", "-f", str(path), "--all") and path).read_text()
    )
    exported["log_retention_ms"] = 1000
    exported["default_topic_partitions"] = 3
    path.write_text(yaml.safe_dump(exported))
    result = rpk("cluster", "config", "import", "-f", str(path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["PROPERTY", "PRIOR", "NEW"]
    assert lines[1].split() == ["default_topic_partitions", "1", "3"]
    assert lines[2].split() == ["log_retention_ms", "604800000", "1000"]
    assert rpk("cluster", "config", "import", "-f", str(path)).output == "No changes were made.\n"


def test_edit_runs_the_editor_and_imports(rpk, tmp_path):
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, re\np = sys.argv[1]\ns = open(p).read()\n"
        "open(p, 'w').write(re.sub(r'(?m)^log_retention_ms: .*$', 'log_retention_ms: 42', s))\n"
    )
    result = rpk("cluster", "config", "edit", EDITOR=f"{sys.executable} {script}")
    assert result.exit_code == 0, result.output
    assert rpk.svc.cluster_config.get("log_retention_ms") == 42
    assert "please set $EDITOR" in str(rpk("cluster", "config", "edit").exception)
