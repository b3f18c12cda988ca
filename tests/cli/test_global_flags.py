"""rpk's persistent flags work on every command; `rpk version` / `rpk --version` as rpk's;
the hidden back-compat flags become the -X keys rpk maps them to."""

from __future__ import annotations

import re

import pytest

from cli import options

pytestmark = pytest.mark.timeout(120)

GLOBALS = ["-v", "-X", "globals.dial_timeout=2s", "--profile", "p", "--config", "/nonexistent"]


@pytest.mark.parametrize(
    "command",
    [
        ["version"],
        ["iotune"],
        ["redpanda", "check"],
        ["redpanda", "tune", "list"],
        ["redpanda", "tune", "swappiness"],
        ["redpanda", "tune", "help", "swappiness"],
        ["check"],
    ],
)
def test_global_flags_are_accepted_everywhere(rpk, command):
    res = rpk([*command, *GLOBALS, "--help"])
    assert res.exit_code == 0, res.stderr
    assert "No such option" not in res.stderr


@pytest.mark.parametrize(
    "command", [["version"], ["iotune"], ["redpanda", "check"], ["redpanda", "tune", "list"]]
)
def test_x_list_on_local_commands(rpk, command):
    res = rpk([*command, "-X", "list"])
    assert res.exit_code == 0, res.stderr
    assert "admin.hosts=" in res.stdout


def test_tune_list_reads_the_global_config(rpk, tmp_path):
    conf = tmp_path / "redpanda.yaml"
    conf.write_text("rpk:\n  tune_swappiness: true\n")
    res = rpk(["redpanda", "tune", "list", "-v", "--config", str(conf)])
    assert res.exit_code == 0, res.stderr
    row = next(line.split() for line in res.stdout.splitlines() if line.startswith("swappiness"))
    assert row[:2] == ["swappiness", "true"]


def test_rpk_dash_dash_version(rpk):
    res = rpk(["--version"])
    assert res.exit_code == 0, res.stderr
    assert re.fullmatch(r"rpk version v\S+ \(rev \S*\)\n", res.stdout), res.stdout


def test_version_prints_rpk_block_and_broker_versions(rpk, broker):
    res = rpk(["version", "-X", f"admin.hosts=127.0.0.1:{broker.admin_port}"])
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:5]] == [
        "Version",
        "Git ref",
        "Build date",
        "OS/Arch",
        "Go version",
    ]
    assert re.fullmatch(r"Go version:  [a-z]+\d+\.\d+\.\d+\S*", lines[4]), lines[4]
    assert lines[5:7] == ["", "Redpanda Cluster"]
    assert re.fullmatch(r"  node-\d+  \S+", lines[7]), res.stdout


def test_version_with_an_unreachable_cluster(rpk):
    res = rpk(["version", "-X", "admin.hosts=127.0.0.1:1"])
    assert res.exit_code == 0
    assert "Redpanda Cluster\n  Unreachable, to debug, use the '-v' flag." in res.stdout
    assert res.stderr == ""


def test_backcompat_flags_map_to_x_keys():
    flags = options.make_flags(
        ["user=explicit"],
        None,
        None,
        False,
        gx_brokers=["a:1,b:2", "c:3"],
        gx_user="old",
        gx_password="pw",
        gx_sasl_mechanism="SCRAM-SHA-512",
        gx_tls_enabled=True,
        gx_tls_truststore="ca.pem",
        gx_tls_cert="c.pem",
        gx_tls_key="k.pem",
        gx_admin_urls=["h:9644"],
        gx_admin_tls_enabled=True,
        gx_admin_tls_truststore="aca.pem",
        gx_admin_tls_cert="ac.pem",
        gx_admin_tls_key="ak.pem",
    )
    assert flags.x == (
        "brokers=a:1,b:2,c:3",
        "user=old",
        "pass=pw",
        "sasl.mechanism=SCRAM-SHA-512",
        "tls.enabled=true",
        "tls.ca=ca.pem",
        "tls.cert=c.pem",
        "tls.key=k.pem",
        "admin.hosts=h:9644",
        "admin.tls.enabled=true",
        "admin.tls.ca=aca.pem",
        "admin.tls.cert=ac.pem",
        "admin.tls.key=ak.pem",
        "user=explicit",  # -X comes last and wins, as in rpk
    )


def test_backcompat_flags_reach_the_brokers(rpk, broker):
    res = rpk(["topic", "list", "--brokers", broker.bootstrap])
    assert res.exit_code == 0, res.stderr
    res = rpk(["cluster", "health", "--hosts", f"127.0.0.1:{broker.admin_port}"])
    assert res.exit_code == 0, res.stderr
    res = rpk(["cluster", "health", "--api-urls", f"127.0.0.1:{broker.admin_port}"])
    assert res.exit_code == 0, res.stderr


def test_hidden_aliases_only_for_commands_that_exist(rpk):
    # `rpk acl` is rpk's hidden `rpk security acl` (with a hidden `acl user`)
    listed = rpk(["acl", "--help"])
    assert (
        listed.exit_code == 0 and "Usage:\n  rpk acl [flags]\n  rpk acl [command]" in listed.stdout
    )
    for name in ("create", "list", "delete"):
        assert f"  {name} " in listed.stdout
    assert "  user " not in listed.stdout
    assert rpk(["acl", "user", "--help"]).exit_code == 0
    root = rpk(["--help"]).stdout.split("Available Commands:\n", 1)[1].split("\n\n", 1)[0]
    assert "acl" not in [line.split()[0] for line in root.splitlines()]
    # `rpk status` is rpk's hidden, deprecated copy of `rpk debug info` (a no-op)
    status = rpk(["status"])
    assert status.exit_code == 0 and 'use "rpk debug info" instead' in status.stderr
    assert "status" not in [line.split()[0] for line in root.splitlines()]
