"""`--all` is a persistent flag of `rpk cluster config`, as in rpk (cluster/config/config.go):
accepted on the group before the subcommand (`rpk cluster config --all export`) and on every
subcommand; export, import and edit include the tunables with it. The real rpk root
(cli.main) against a real broker process."""

from __future__ import annotations

import pytest
import yaml

from tests.support.rpk import run_in_process

pytestmark = pytest.mark.timeout(180)

TUNABLE = "raft_election_timeout_ms"  # visibility "tunable": exported only with --all


def _rpk(args: list[str], env: dict[str, str]):
    return run_in_process(args, env)


def _export(env: dict[str, str], path, before: tuple = (), after: tuple = ()) -> dict:
    """`rpk cluster config BEFORE export -f PATH AFTER`, the file it wrote."""
    res = _rpk(["cluster", "config", *before, "export", "-f", str(path), *after], env)
    assert res.exit_code == 0, res.stderr
    assert res.stdout == f'Wrote configuration to file "{path}".\n'
    return yaml.safe_load(path.read_text())


def test_all_on_the_group_or_on_export_includes_the_tunables(home, kafka_env, tmp_path):
    path = tmp_path / "cfg.yaml"
    plain = _export(kafka_env, path)
    assert "log_retention_ms" in plain and TUNABLE not in plain
    on_group = _export(kafka_env, path, before=("--all",))
    on_export = _export(kafka_env, path, after=("--all",))
    assert TUNABLE in on_group and TUNABLE in on_export
    assert on_group.keys() == on_export.keys() and len(on_group) > len(plain)


def test_all_on_the_group_reaches_import(home, kafka_env, tmp_path):
    """A tunable set on the cluster and absent from the file is reset by import only with
    --all (here before the subcommand), as rpk's importConfig."""
    path = tmp_path / "cfg.yaml"
    _export(kafka_env, path)  # no tunables in the file
    default_ms = _rpk(["cluster", "config", "get", TUNABLE], kafka_env).stdout.strip()
    changed_ms = str(int(default_ms) + 1)
    try:
        assert _rpk(["cluster", "config", "set", TUNABLE, changed_ms], kafka_env).exit_code == 0
        res = _rpk(["cluster", "config", "import", "-f", str(path)], kafka_env)
        assert res.exit_code == 0, res.stderr
        assert res.stdout == "No changes were made.\n"  # the tunable is left alone
        res = _rpk(["cluster", "config", "--all", "import", "-f", str(path)], kafka_env)
        assert res.exit_code == 0, res.stderr
        assert [TUNABLE, changed_ms] == res.stdout.splitlines()[1].split()[:2]
        got = _rpk(["cluster", "config", "get", TUNABLE], kafka_env)
        assert got.stdout.strip() == default_ms
    finally:
        _rpk(["cluster", "config", "set", TUNABLE, ""], kafka_env)  # back to its default


@pytest.mark.parametrize("where", ["group", "subcommand"])
def test_every_subcommand_accepts_all(home, kafka_env, where):
    """status, get and set take --all and ignore it, as rpk's (the flag is persistent)."""

    def run(sub: list[str]):
        args = ["--all", *sub] if where == "group" else [*sub, "--all"]
        return _rpk(["cluster", "config", *args], kafka_env)

    status = run(["status"])
    assert status.exit_code == 0, status.stderr
    assert status.stdout.split()[:5] == [
        "NODE",
        "CONFIG-VERSION",
        "NEEDS-RESTART",
        "INVALID",
        "UNKNOWN",
    ]
    got = run(["get", "log_retention_ms"])
    assert got.exit_code == 0 and got.stdout.strip().isdigit(), got.stderr
    value = got.stdout.strip()
    done = run(["set", "log_retention_ms", value])
    assert done.exit_code == 0, done.stderr
    for sub in (["lint", "--help"], ["force-reset", "--help"], ["edit", "--help"]):
        assert run(sub).exit_code == 0
