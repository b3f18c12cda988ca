"""`rpk registry` against the broker's registry, run in this process (tests/support/rpk.py)."""

from __future__ import annotations

import json

import pytest

from tests.support.rpk import run_in_process


@pytest.fixture(scope="module")
def rpk(registry_broker, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "RPK_REGISTRY_HOSTS": registry_broker[1].removeprefix("http://"),
        "RPK_BROKERS": registry_broker[0].bootstrap,
    }

    def run(*args: str):
        return run_in_process(list(args), env=env)

    return run


def avsc(tmp_path, name: str, *fields) -> str:
    path = tmp_path / f"{name}.avsc"
    body = {"type": "record", "name": name, "fields": [dict(f) for f in fields]}
    path.write_text(json.dumps(body))
    return str(path)


def test_schema_create_get_list(rpk, tmp_path):
    f = avsc(tmp_path, "Rpk", {"name": "a", "type": "int"})
    r = rpk("registry", "schema", "create", "rpk-value", "--schema", f)
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["SUBJECT", "VERSION", "ID", "TYPE"]
    subject, version, schema_id, kind = lines[1].split()
    assert (subject, version, kind) == ("rpk-value", "1", "AVRO")
    r = rpk(
        "registry", "schema", "get", "rpk-value", "--schema-version", "latest", "--format", "json"
    )
    assert json.loads(r.stdout) == [
        {"subject": "rpk-value", "version": 1, "id": int(schema_id), "type": "AVRO"}
    ]
    r = rpk("sr", "schema", "get", "--id", schema_id)
    assert "rpk-value" in r.stdout
    r = rpk("registry", "schema", "get", "rpk-value", "--schema", f)
    assert r.exit_code == 0 and "rpk-value" in r.stdout
    r = rpk("registry", "schema", "get", "rpk-value", "--schema-version", "1", "--print-schema")
    assert json.loads(r.stdout)["name"] == "Rpk"
    r = rpk("registry", "schema", "list")
    assert r.stdout.splitlines()[0].split() == ["SUBJECT", "VERSION", "ID", "TYPE", "ERROR"]
    assert any(line.split()[:2] == ["rpk-value", "1"] for line in r.stdout.splitlines())
    r = rpk("registry", "schema", "get", "rpk-value")
    assert r.exit_code != 0 and "Must specify at least one" in r.stderr


def test_check_compatibility_and_levels(rpk, tmp_path):
    old = avsc(tmp_path, "Cc", {"name": "a", "type": "int"})
    assert rpk("registry", "schema", "create", "cc", "--schema", old).exit_code == 0
    bad = avsc(tmp_path, "Cc", {"name": "a", "type": "string"})
    r = rpk(
        "registry",
        "schema",
        "check-compatibility",
        "cc",
        "--schema",
        bad,
        "--schema-version",
        "latest",
    )
    assert r.exit_code == 0 and r.stdout.startswith("Schema is not compatible.")
    good = avsc(tmp_path, "Cc", {"name": "a", "type": "long"})
    r = rpk(
        "registry", "schema", "check-compatibility", "cc", "--schema", good, "--schema-version", "1"
    )
    assert r.stdout.strip() == "Schema is compatible."
    r = rpk("registry", "compatibility-level", "set", "cc", "--level", "none")
    assert r.stdout.splitlines()[1].split() == ["cc", "NONE"], r.stdout
    r = rpk("registry", "compatibility-level", "get", "cc", "--global")
    rows = [line.split() for line in r.stdout.splitlines()[1:]]
    assert rows == [["cc", "NONE"], ["{GLOBAL}", "BACKWARD"]]
    r = rpk("registry", "compatibility-level", "set", "cc", "--level", "sideways")
    assert r.exit_code != 0


def test_mode(rpk):
    r = rpk("registry", "mode", "get")
    assert r.stdout.splitlines()[1].split() == ["{GLOBAL}", "READWRITE"]
    r = rpk("registry", "mode", "set", "m1", "--mode", "readonly")
    assert r.stdout.splitlines()[1].split() == ["m1", "READONLY"]
    r = rpk("registry", "mode", "reset", "m1")
    assert r.exit_code == 0 and r.stdout.splitlines()[1].split() == ["m1", "READONLY"]
    r = rpk("registry", "mode", "get", "m1")
    assert r.stdout.splitlines()[1].split() == ["m1", "READWRITE"]  # global, as defaultToGlobal
    assert rpk("registry", "mode", "set", "m1", "--mode", "sleepy").exit_code != 0


def test_delete_and_references(rpk, tmp_path):
    base = avsc(tmp_path, "Base", {"name": "a", "type": "int"})
    assert rpk("registry", "schema", "create", "base", "--schema", base).exit_code == 0
    user = avsc(tmp_path, "User", {"name": "b", "type": "Base"})
    r = rpk("registry", "schema", "create", "user", "--schema", user, "--references", "Base:base:1")
    assert r.exit_code == 0, r.stderr
    r = rpk("registry", "schema", "references", "base", "--schema-version", "1")
    assert [line.split()[0] for line in r.stdout.splitlines()[1:]] == ["user"]
    r = rpk("registry", "schema", "delete", "base", "--schema-version", "1")
    assert r.exit_code != 0 and "references" in r.stderr.lower()
    r = rpk("registry", "subject", "delete", "user")
    assert r.stdout.splitlines()[1].split() == ["user", "[1]"]
    r = rpk("registry", "subject", "list", "--deleted")
    assert "user" in r.stdout.split()
    assert "user" not in rpk("registry", "subject", "list").stdout.split()
    r = rpk("registry", "schema", "delete", "base", "--schema-version", "1", "--permanent")
    assert r.stdout.strip() == 'Successfully deleted schema. Subject: "base", version: "1"', (
        r.stderr
    )
    r = rpk("registry", "subject", "delete", "user", "--permanent")
    assert r.stdout.splitlines()[1].split() == ["user", "[1]"]
    r = rpk("registry", "subject", "delete", "nobody")
    assert r.exit_code == 1 and "not found" in r.stdout
