"""rpk profile create|use|list|current|delete|edit|print|set against rpk.yaml in an isolated HOME."""

from __future__ import annotations

import sys

import yaml


def _rpk_yaml(home) -> dict:
    return yaml.safe_load((home / ".config" / "rpk" / "rpk.yaml").read_text())


def test_profile_lifecycle(rpk, home):
    res = rpk(
        ["profile", "create", "dev", "-s", "brokers=10.0.0.1:9092,10.0.0.2", "-d", "dev cluster"]
    )
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip() == 'Created and switched to new profile "dev".'
    assert (
        rpk(
            ["profile", "create", "prod", "--from-profile", "dev", "-s", "admin.hosts=prod:9644"]
        ).exit_code
        == 0
    )
    assert rpk(["profile", "current"]).stdout == "prod\n"
    assert rpk(["profile", "use", "dev"]).exit_code == 0
    listed = rpk(["profile", "list"]).stdout.splitlines()
    assert listed[0].split() == ["NAME", "DESCRIPTION"]
    assert listed[1].startswith("dev*") and listed[2].startswith("prod ")
    doc = _rpk_yaml(home)
    assert doc["version"] == 6 and doc["current_profile"] == "dev"
    dev = next(p for p in doc["profiles"] if p["name"] == "dev")
    assert dev["kafka_api"]["brokers"] == ["10.0.0.1:9092", "10.0.0.2"]
    printed = yaml.safe_load(rpk(["profile", "print", "prod"]).stdout)
    assert printed["admin_api"]["addresses"] == ["prod:9644"]

    assert rpk(["profile", "set", "user=alice", "tls.enabled=true"]).exit_code == 0
    dev = next(p for p in _rpk_yaml(home)["profiles"] if p["name"] == "dev")
    assert dev["kafka_api"]["sasl"]["user"] == "alice" and dev["kafka_api"]["tls"] == {}

    res = rpk(["profile", "delete", "dev"])
    assert res.exit_code == 0 and "selected profile" in res.stdout
    assert [p["name"] for p in _rpk_yaml(home)["profiles"]] == ["prod"]
    assert rpk(["profile", "current"]).stdout == "\n"


def test_profile_errors(rpk):
    assert rpk(["profile", "create", "a"]).exit_code == 0
    res = rpk(["profile", "create", "a"])
    assert res.exit_code == 1 and "already exists" in res.stderr
    res = rpk(["profile", "use", "nope"])
    assert res.exit_code == 1 and 'profile "nope" does not exist' in res.stderr
    res = rpk(["profile", "set", "nonsense.key=1"])
    assert res.exit_code == 1 and "unknown profile key" in res.stderr
    res = rpk(["--profile", "nope", "topic", "list"])
    assert res.exit_code == 1 and "does not exist" in res.stderr


def test_profile_edit_with_editor(rpk, home, tmp_path):
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys, yaml\n"
        "p = yaml.safe_load(open(sys.argv[1]))\n"
        "p['description'] = 'edited'\n"
        "yaml.safe_dump(p, open(sys.argv[1], 'w'))\n"
    )
    assert rpk(["profile", "create", "e"]).exit_code == 0
    res = rpk(["profile", "edit", "e"], env={"EDITOR": f"{sys.executable} {editor}"})
    assert res.exit_code == 0, res.stderr
    assert _rpk_yaml(home)["profiles"][0]["description"] == "edited"
