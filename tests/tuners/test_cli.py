"""rpk redpanda tune / check and rpk iotune, in process (CliRunner) and as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import typer
from typer.testing import CliRunner

from cli.commands import iotune
from cli.commands.redpanda import check, tune
from core.config.io_config import load_io_config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENABLED = {
    "tune_swappiness": True,
    "tune_aio_events": True,
    "tune_network": True,
    "tune_fstrim": True,
    "tune_disk_scheduler": True,
}


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Throwaway root, standing in for rpk redpanda."""

    tune.register(app)
    check.register(app)
    iotune.register(app)
    return app


def invoke(*args: str):
    return CliRunner().invoke(make_app(), list(args))


def rpk(*args: str) -> subprocess.CompletedProcess:
    """The real rpk as a process: `rpk redpanda tune|check ...` or `rpk iotune ...`."""
    argv = ["redpanda", *args] if args[0] in ("tune", "check") else list(args)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_tune_list_shows_enabled_and_supported(host):
    config = host.write_config(ENABLED)
    result = invoke("tune", "list", "--config", config, "--root", host.root)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["TUNER", "ENABLED", "SUPPORTED", "UNSUPPORTED-REASON"]
    assert lines[1].split()[:3] == ["aio_events", "true", "true"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert rows["cpu"].split()[1:3] == ["false", "true"]
    assert "needs root '/'" in rows["fstrim"]
    assert host.read("/proc/sys/vm/swappiness") == "60"  # list executes nothing


def test_tune_named_tuners_applies_and_prints_the_table(host):
    config = host.write_config(ENABLED)
    # rpk tunes what its first argument names: a further argument is ignored
    result = invoke(
        "tune", "swappiness,aio_events", "disk_scheduler", "--config", config, "--root", host.root
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["TUNER", "APPLIED", "ENABLED", "SUPPORTED"]
    assert lines[1].split() == ["aio_events", "true", "true", "true"]
    assert lines[2].split() == ["swappiness", "true", "true", "true"]
    assert len(lines) == 3
    assert host.read("/proc/sys/vm/swappiness") == "1"
    assert host.read("/sys/block/nvme0n1/queue/scheduler") != "none"


def test_tune_all_exits_1_when_an_enabled_tuner_is_unsupported(host):
    config = host.write_config(ENABLED)
    result = invoke("tune", "all", "--config", config, "--root", host.root)
    assert result.exit_code == 1
    header = result.output.splitlines()[0].split()
    assert header == ["TUNER", "APPLIED", "ENABLED", "SUPPORTED", "ERROR"]
    fstrim = next(line for line in result.output.splitlines() if line.startswith("fstrim"))
    assert fstrim.split()[:4] == ["fstrim", "false", "true", "false"]
    assert host.read("/proc/sys/net/core/somaxconn") == "4096"
    # rpk exits 1 with the table alone: no line of its own on stderr
    failed = rpk("tune", "all", "--config", config, "--root", host.root)
    assert failed.returncode == 1 and failed.stderr == ""


def test_tune_with_everything_disabled(host):
    config = host.write_config({})
    result = invoke("tune", "all", "--config", config, "--root", host.root)
    assert result.exit_code == 0
    assert result.output.startswith("All tuners were disabled, so none were applied.")


def test_output_script_changes_nothing_and_is_valid_bash(host, tmp_path):
    config = host.write_config(ENABLED)
    script = str(tmp_path / "tune.sh")
    result = invoke(
        "tune",
        "swappiness,net",
        "--config",
        config,
        "--root",
        host.root,
        "--output-script",
        script,
    )
    assert result.exit_code == 0, result.output
    assert host.read("/proc/sys/vm/swappiness") == "60"
    assert subprocess.run(["bash", "-n", script], timeout=30).returncode == 0
    assert subprocess.run(["bash", script], timeout=60).returncode == 0
    assert host.read("/proc/sys/vm/swappiness") == "1"


def test_params_and_config_together_are_refused(host):
    result = invoke("tune", "net", "--config", host.write_config(ENABLED), "--nic", "eth0")
    assert result.exit_code == 1
    assert str(result.exception) == "use either tuner params or redpanda config file"


def test_tune_help():
    result = invoke("tune", "help", "nomerges")
    assert result.exit_code == 0
    assert result.output.startswith('"nomerges" tuner description\n\nDisables merging adjacent IO')
    assert invoke("tune", "help", "bogus").exit_code == 1


def test_subprocess_unknown_tuner_and_success(host):
    bad = rpk("tune", "bogus")
    assert bad.returncode == 1
    assert bad.stderr.startswith(
        "Error: invalid element to tune 'bogus' only [aio_events ballast_file"
    )
    good = rpk("tune", "swappiness", "--config", host.write_config(ENABLED), "--root", host.root)
    assert good.returncode == 0, good.stderr
    assert good.stdout.splitlines()[1].split() == ["swappiness", "true", "true", "true"]


def test_check_prints_rpk_table_and_fails_on_fatal(host):
    config = host.write_config(ENABLED)
    result = invoke("check", "--config", config, "--root", host.root, "--timeout", "20s")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()[1:]  # rpk prints a blank line first
    assert lines[0] == "System check results"
    assert lines[1].split() == ["CONDITION", "REQUIRED", "CURRENT", "SEVERITY", "PASSED"]
    swappiness = next(line for line in lines if line.startswith("Swappiness"))
    assert swappiness.split() == ["Swappiness", "1", "60", "Warning", "false"]
    os.rmdir(host.path("/var/lib/redpanda/data"))
    failed = rpk("check", "--config", config, "--root", host.root, "--timeout", "20s")
    assert failed.returncode == 0  # rpk: failed checks are table rows, exit 0
    writable = next(line for line in failed.stdout.splitlines() if "is writable" in line)
    assert writable.split()[-2:] == ["Fatal", "false"]


def test_iotune_writes_a_loadable_io_config(tmp_path):
    out = str(tmp_path / "io-config.yaml")
    data = tmp_path / "data"
    data.mkdir()
    result = rpk("iotune", "--duration", "1", "--directories", str(data), "--out", out)
    assert result.returncode == 0, result.stderr
    assert f'IO configuration file stored as "{out}"' in result.stdout
    disks = load_io_config(out)["disks"]
    assert len(disks) == 1 and disks[0]["read_iops"] > 0 and disks[0]["write_bandwidth"] > 0
    assert os.listdir(data) == []  # the scratch file is gone
    declined = CliRunner().invoke(
        make_app(),
        ["iotune", "--duration", "1", "--directories", str(data), "--out", out],
        input="n\n",
    )
    assert "iotune canceled." in declined.output
