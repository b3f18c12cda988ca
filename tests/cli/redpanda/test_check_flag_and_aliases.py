"""`--check[=BOOL]` on rpk redpanda start, and linux rpk's hidden top-level aliases (`rpk mode` ...)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from cli.commands.redpanda.start import take_check_flag
from tests.support.rpk import REPO


@pytest.mark.parametrize(
    ("args", "run_check", "forwarded"),
    [
        ([], True, []),
        (["--check"], True, []),
        (["--check=false"], False, []),
        (["--check=FALSE", "--check=true"], True, []),
        (
            ["--smp", "1", "--check=0", "--overprovisioned"],
            False,
            ["--smp", "1", "--overprovisioned"],
        ),
        (["--checkpoint=x"], True, ["--checkpoint=x"]),
    ],
)
def test_check_flag_forms(args, run_check, forwarded):
    assert take_check_flag(args) == (run_check, forwarded)


def test_bad_check_value_is_a_usage_error_before_anything_is_written(rpk, tmp_path):
    cfg = tmp_path / "redpanda.yaml"
    res = rpk(["redpanda", "start", "--config", str(cfg), "--check=maybe"])
    assert res.exit_code == 1
    assert 'invalid argument "maybe" for "--check" flag: strconv.ParseBool' in res.stderr
    assert not cfg.exists()


def test_start_module_imports_without_typer_deprecation_warnings():
    code = "import cli.commands.redpanda.start"
    proc = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


def test_top_level_aliases_run_the_redpanda_commands_and_warn(rpk, tmp_path):
    via_alias, via_group = tmp_path / "alias.yaml", tmp_path / "group.yaml"
    res = rpk(["mode", "prod", "--config", str(via_alias)])
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip() == 'Successfully set mode to "prod".'
    assert 'Command "mode" is deprecated, use "rpk redpanda mode" instead' in res.stderr
    group = rpk(["redpanda", "mode", "prod", "--config", str(via_group)])
    assert group.exit_code == 0 and "deprecated" not in group.stderr
    assert yaml.safe_load(via_alias.read_text()) == yaml.safe_load(via_group.read_text())

    nodata = tmp_path / "nodata"
    assert (
        rpk(
            ["config", "set", "redpanda.data_directory", str(nodata), "--config", str(via_alias)]
        ).exit_code
        == 0
    )
    assert yaml.safe_load(via_alias.read_text())["redpanda"]["data_directory"] == str(nodata)

    stop = rpk(["stop", "--config", str(via_alias)])
    assert stop.exit_code == 1 and f"pid file {nodata}" in stop.stderr


def test_aliases_are_hidden_from_help(rpk):
    block = rpk(["--help"]).stdout.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    listed = [line.split()[0] for line in block.splitlines()]
    for alias in ("start", "stop", "check", "tune", "mode", "config"):
        assert alias not in listed
    group_help = rpk(["redpanda", "--help"]).stdout
    for name in ("start", "stop", "check", "tune", "mode", "config"):
        assert f"  {name} " in group_help
    assert rpk(["tune", "--help"]).exit_code == 0
