"""`rpk redpanda tune`, `tune list` and `tune help`: the flags rpk lists (cli/redpanda/tune/tune.go,
list.go, help.go in Redpanda), each one taken and acted on, on a fake host (tests/support/hosts.py:
a /proc, /sys and /etc under a temporary root, given with our hidden --root).

Cobra parses flags anywhere: before the tuner names as well as after them.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml

from cli import _pflag
from cli.commands.redpanda.tune import tune as tune_module
from tests.support.hosts import build_host, make_config
from tuners.executors import DirectExecutor
from tuners.executors.commands import HostCommand
from tuners.fs import RootFs

pytestmark = pytest.mark.timeout(120)

TUNE_FLAGS = """\
Flags:
      --cpu-set string         Set of CPUs for tuners to use in cpuset(7)
                               format; if not specified, tuners will use
                               all available CPUs (default "all")
  -r, --dirs strings           List of *data* directories or places to
                               store data (e.g.
                               /var/vectorized/redpanda/); usually your
                               XFS filesystem on an NVMe SSD device
  -d, --disks strings          Lists of devices to tune f.e. 'sda1'
  -h, --help                   Help for tune
  -m, --mode string            Operation Mode: one of: [sq, sq_split, mq]
  -n, --nic strings            Network Interface Controllers to tune
      --output-script string   If a filename is provided, it will generate
                               a tuning file that can later be used to
                               tune the system
      --reboot-allowed         Allow tuners to tune boot parameters and
                               request system reboot
      --timeout duration       The maximum time to wait for the tune
                               processes to complete (e.g. 300ms, 1.5s,
                               2h45m) (default 10s)

Global Flags:
"""
LIST_FLAGS = """\
Flags:
  -r, --dirs strings     List of *data* directories or places to store
                         data (e.g. /var/vectorized/redpanda/); usually
                         your XFS filesystem on an NVMe SSD device
  -d, --disks strings    Lists of devices to tune f.e. 'sda1'
  -h, --help             Help for list
  -m, --mode string      Operation Mode: one of: [sq, sq_split, mq]
  -n, --nic strings      Network Interface Controllers to tune
      --reboot-allowed   Allow tuners to tune boot parameters and request
                         system reboot

Global Flags:
"""
TUNERS = (
    "aio_events ballast_file clocksource coredump cpu disk_irq disk_nomerges disk_scheduler"
    " disk_write_cache fstrim net swappiness transparent_hugepages"
)
NIC_QUEUES = "/sys/class/net/eth0/queues"
NIC_IRQS = range(61, 65)  # eth0-TxRx-0..3
UNTUNED_SCHEDULER = "[mq-deadline] kyber bfq none"


@pytest.fixture(autouse=True)
def eighty_columns(monkeypatch):
    # rpk wraps flag usages at stdin's width, 80 columns when it is not a terminal
    monkeypatch.setattr(_pflag, "columns", lambda: _pflag.DEFAULT_COLUMNS)


@pytest.fixture
def host(tmp_path):
    """A fake host, and $PWD holding a redpanda.yaml that enables every tuner (rpk reads
    $PWD/redpanda.yaml when --config is not given, which tuner params require)."""
    host = build_host(str(tmp_path / "root"))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "redpanda.yaml").write_text(yaml.safe_dump(make_config()))
    host.cwd = cwd
    return host


@pytest.fixture
def tune(rpk, host):
    def run(*args: str):
        return rpk(["redpanda", "tune", "--root", host.root, *args], cwd=host.cwd)

    return run


def _flags_section(text: str) -> str:
    return text[text.index("\nFlags:\n") + 1 : text.index("\nGlobal Flags:\n") + 15]


def _rps(host) -> list[str]:
    return [host.read(f"{NIC_QUEUES}/rx-{n}/rps_cpus") for n in range(4)]


def test_tune_help_lists_rpks_flags(rpk):
    res = rpk(["redpanda", "tune", "--help"])
    assert res.exit_code == 0
    assert _flags_section(res.stdout) == TUNE_FLAGS
    assert res.stdout.startswith(
        "Sets the OS parameters to tune system performance.\n\nAvailable tuners:\n\n  - all.\n"
        + "".join(f"  - {name}\n" for name in TUNERS.split())
        + "\nTo learn more about a tuner, run 'rpk redpanda tune help <tuner name>'.\n\nUsage:\n"
        "  rpk redpanda tune [list of elements to tune] [flags]\n  rpk redpanda tune [command]\n"
    )
    assert "Available Commands:\n  help        Display detailed information about the tuner\n" in (
        res.stdout
    )
    # a tuner name is tune's argument: its --help is tune's, and so is `rpk help`'s
    assert rpk(["redpanda", "tune", "swappiness", "--help"]).stdout == res.stdout
    assert rpk(["help", "redpanda", "tune", "net"]).stdout == res.stdout
    deprecated = rpk(["tune", "--help"]).stdout  # rpk's hidden `rpk tune`: its own path
    usage = res.stdout.index("\nUsage:\n")
    assert deprecated[:usage] == res.stdout[:usage]
    assert deprecated[usage:] == res.stdout[usage:].replace("rpk redpanda tune", "rpk tune")


def test_tune_list_help_lists_rpks_flags(rpk):
    res = rpk(["redpanda", "tune", "list", "--help"])
    assert res.exit_code == 0
    assert _flags_section(res.stdout) == LIST_FLAGS
    assert res.stdout.startswith(
        "List available redpanda tuners and check if they are enabled and \n"
        "supported by your system\n\n"
    )


def test_every_listed_flag_is_exercised_below():
    """A flag added to tune's help needs a test here that shows it acts."""
    listed = set(re.findall(r"--([a-z-]+)", TUNE_FLAGS)) - {"help"}
    exercised = {
        "cpu-set",
        "dirs",
        "disks",
        "mode",
        "nic",
        "output-script",
        "reboot-allowed",
        "timeout",
    }
    assert listed == exercised


def test_disks_tunes_the_named_device_only(tune, host):
    res = tune("disk_scheduler", "--disks", "sda")
    assert res.exit_code == 0, res.stderr
    assert host.read("/sys/block/sda/queue/scheduler") == "none"
    assert host.read("/sys/block/nvme0n1/queue/scheduler") == UNTUNED_SCHEDULER


def test_dirs_before_the_tuner_tunes_the_directorys_device(tune, host):
    res = tune("-r", "/var/lib/redpanda/data", "disk_scheduler,disk_nomerges")
    assert res.exit_code == 0, res.stderr
    assert host.read("/sys/block/nvme0n1/queue/scheduler") == "none"
    assert host.read("/sys/block/nvme0n1/queue/nomerges") == "2"
    assert host.read("/sys/block/sda/queue/scheduler") == UNTUNED_SCHEDULER


def test_nic_chooses_the_interfaces(tune, host):
    assert tune("net", "--nic", "lo").exit_code == 0  # virtual: skipped, eth0 untouched
    assert _rps(host) == ["00"] * 4
    assert tune("-n", "eth0", "net").exit_code == 0
    assert _rps(host) == ["000000ff"] * 4


def test_mode_sets_the_irq_layout(tune, host):
    res = tune("net", "--nic", "eth0", "--mode", "sq")
    assert res.exit_code == 0, res.stderr
    # sq: every queue's IRQ on CPU0, RPS on the other CPUs
    assert [host.read(f"/proc/irq/{irq}/smp_affinity") for irq in NIC_IRQS] == ["00000001"] * 4
    assert _rps(host) == ["000000fe"] * 4
    bad = tune("net", "-m", "bogus")
    assert bad.exit_code == 1 and "bogus" in bad.stderr


def test_cpu_set_confines_the_tuners(tune, host):
    res = tune("--cpu-set", "0-3", "net", "--nic", "eth0")
    assert res.exit_code == 0, res.stderr
    assert _rps(host) == ["0000000f"] * 4


def test_reboot_allowed_edits_grub_and_asks_for_a_reboot(tune, host):
    res = tune("cpu")
    assert res.exit_code == 0, res.stderr
    assert host.read("/etc/default/grub") == 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX="quiet"'
    assert "IMPORTANT" not in res.stdout
    res = tune("--reboot-allowed", "cpu,swappiness")
    assert res.exit_code == 0, res.stderr
    assert "intel_idle.max_cstate=0 processor.max_cstate=1" in host.read("/etc/default/grub")
    # rpk names every tuner it was asked for
    assert res.stdout.splitlines()[-1] == (
        "IMPORTANT: Reboot system and run 'rpk redpanda tune cpu,swappiness' again"
    )


def test_output_script_writes_instead_of_tuning(tune, host, tmp_path):
    script = tmp_path / "tune.sh"
    res = tune("--output-script", str(script), "swappiness")
    assert res.exit_code == 0, res.stderr
    assert host.read("/proc/sys/vm/swappiness") == "60"
    assert script.read_text().startswith("#!/bin/bash\n") and os.access(script, os.X_OK)
    assert subprocess.run(["bash", str(script)], timeout=60).returncode == 0
    assert host.read("/proc/sys/vm/swappiness") == "1"  # the script makes the change
    folder = tune("swappiness", "--output-script", str(tmp_path))
    assert folder.exit_code == 1
    assert folder.stderr == (
        "please use a filename instead of a directory name in --output-script\n"
    )


def test_timeout_bounds_each_command_and_is_a_go_duration(tune, host, monkeypatch):
    assert tune("swappiness", "--timeout", "1m30s").exit_code == 0
    assert host.read("/proc/sys/vm/swappiness") == "1"
    host.write("/proc/sys/vm/swappiness", "60")
    # rpk's --timeout is each command's (hwloc, irqbalance, grub...), not the run's: a tuner
    # that runs no command is not bounded by it
    short = tune("--timeout", "-1s", "swappiness")
    assert short.exit_code == 0, short.stdout
    assert host.read("/proc/sys/vm/swappiness") == "1"
    seen = []

    class Recording(tune_module.DirectExecutor):
        def __init__(self, fs, command_timeout_s):
            seen.append(command_timeout_s)
            super().__init__(fs, command_timeout_s=command_timeout_s)

    monkeypatch.setattr(tune_module, "DirectExecutor", Recording)
    assert tune("swappiness", "--timeout", "1m30s").exit_code == 0
    assert seen == [90.0]
    bad = tune("swappiness", "--timeout", "10")
    assert bad.exit_code == 1
    assert bad.stderr.startswith(
        'Error: invalid argument "10" for "--timeout" flag: time: missing unit in duration "10"\n'
        "Usage:\n  rpk redpanda tune [list of elements to tune] [flags]\n"
    )


def test_host_command_timeout_stops_the_command():
    executor = DirectExecutor(RootFs("/"), command_timeout_s=0.2)
    with pytest.raises(OSError, match=r"^sleep 30 did not finish within 0.2s$"):
        executor.execute(HostCommand(("sleep", "30")))


def test_only_the_first_argument_names_tuners(tune, host):
    """rpk's Args and Run read args[0] only (a comma-separated list, or `all` alone)."""
    res = tune("swappiness", "net", "--nic", "eth0")
    assert res.exit_code == 0, res.stderr
    assert [line.split()[0] for line in res.stdout.splitlines()[1:]] == ["swappiness"]
    assert host.read("/proc/sys/vm/swappiness") == "1"
    assert _rps(host) == ["00"] * 4  # net was not run
    ignored = tune("aio_events", "bogus")  # not even checked
    assert ignored.exit_code == 0, ignored.stderr
    twice = tune("swappiness,aio_events,swappiness")  # a repeated tuner runs again
    assert twice.exit_code == 0, twice.stderr
    names = [line.split()[0] for line in twice.stdout.splitlines()[1:]]
    assert names == ["aio_events", "swappiness", "swappiness"]
    for args, element in [(["all", "net"], "all"), (["net,"], "net,"), ([""], "")]:
        bad = tune(*args)
        assert bad.exit_code == 1
        assert bad.stderr.startswith(
            f"Error: invalid element to tune '{element}' only [{TUNERS}] are supported\nUsage:"
        )


def test_a_failed_tuner_exits_1_after_the_table_alone(rpk_subprocess, host):
    """rpk prints the table (errors in it) and exits 1, with nothing on stderr: for a tuner
    that failed, and for one enabled but unsupported (fstrim needs the real host's systemd)."""
    sysctl = os.path.join(host.root, "proc/sys/vm/swappiness")
    os.remove(sysctl)
    os.mkdir(sysctl)  # the write will fail
    res = rpk_subprocess(
        ["redpanda", "tune", "--root", host.root, "swappiness,aio_events,fstrim"], cwd=host.cwd
    )
    assert res.exit_code == 1
    assert res.stderr == ""
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["TUNER", "APPLIED", "ENABLED", "SUPPORTED", "ERROR"]
    assert lines[1].split() == ["aio_events", "true", "true", "true"]
    assert lines[2].split()[:4] == ["fstrim", "false", "true", "false"]
    assert lines[3].split()[:5] == ["swappiness", "false", "true", "true", "[Errno"]
    assert len(lines) == 4


def test_interactive_is_deprecated_and_hidden(tune, host):
    res = tune("swappiness", "--interactive")
    assert res.exit_code == 0
    assert res.stderr == (
        "Flag --interactive has been deprecated, not needed: tune will use default configuration"
        " if config file is not found.\n"
    )
    assert host.read("/proc/sys/vm/swappiness") == "1"


def test_config_excludes_devices_but_not_mode(rpk, host):
    config = host.write_config({"tune_swappiness": True})
    both = rpk(["redpanda", "tune", "swappiness", "--config", config, "--disks", "sda"])
    assert both.exit_code == 1
    assert both.stderr == "use either tuner params or redpanda config file\n"
    ok = rpk(
        ["redpanda", "tune", "-m", "mq", "swappiness", "--config", config, "--root", host.root]
    )
    assert ok.exit_code == 0, ok.stderr
    assert host.read("/proc/sys/vm/swappiness") == "1"


def test_disabled_tuners_print_rpks_notice_then_the_table(rpk, host):
    config = host.write_config({})
    res = rpk(["redpanda", "tune", "swappiness", "--config", config, "--root", host.root])
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[0].startswith("All tuners were disabled, so none were applied.")
    assert lines[1].split() == ["TUNER", "APPLIED", "ENABLED", "SUPPORTED"]
    assert lines[2].split() == ["swappiness", "false", "false", "true"]


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "requires the list of elements to tune"),
        (["--timeout", "5s"], "requires the list of elements to tune"),
        (
            ["net,bogus"],
            f"invalid element to tune 'net,bogus' only [{TUNERS}] are supported",
        ),
        (["all,net"], f"invalid element to tune 'all,net' only [{TUNERS}] are supported"),
        (["--bogus", "net"], "unknown flag: --bogus"),
        (["-i", "net"], "unknown shorthand flag: 'i' in -i"),  # --interactive has no shorthand
    ],
)
def test_usage_errors_are_cobras(rpk, args, message):
    res = rpk(["redpanda", "tune", *args])
    assert res.exit_code == 1
    assert res.stderr.startswith(
        f"Error: {message}\nUsage:\n  rpk redpanda tune [list of elements to tune] [flags]\n"
    )


def test_list_takes_rpks_flags(rpk, host):
    # tune list: --config with tuner params is fine (rpk checks that only when tuning)
    config = host.write_config({"tune_disk_scheduler": True})
    args = ["redpanda", "tune", "list", "--config", config, "--root", host.root]
    res = rpk([*args, "-d", "sda", "--reboot-allowed", "-m", "mq", "-n", "eth0"])
    assert res.exit_code == 0, res.stderr
    rows = {line.split()[0]: line.split() for line in res.stdout.splitlines()[1:]}
    assert rows["disk_scheduler"][1:3] == ["true", "true"]
    assert host.read("/sys/block/sda/queue/scheduler") == UNTUNED_SCHEDULER  # lists only
    assert rpk([*args, "--cpu-set", "0"]).stderr.startswith("Error: unknown flag: --cpu-set\n")


SWAPPINESS_HELP = (
    '"swappiness" tuner description\n'
    "\n"
    "Tunes the kernel to keep process data in-memory for as long as possible, instead\n"
    "of swapping it out to disk.\n"
    "\n"
)
NET_HELP_MODES = """\
Modes description:

\tsq - set all IRQs of a given NIC to CPU0 and configure RPS
\t\tto spreads NAPIs' handling between other CPUs.
"""


def test_tune_help_topics_are_rpks(rpk):
    res = rpk(["redpanda", "tune", "help", "swappiness"])
    assert res.exit_code == 0
    assert res.stdout == SWAPPINESS_HELP  # rpk's text, its blank lines included
    net = rpk(["redpanda", "tune", "help", "net"]).stdout
    assert net.startswith(
        '"net" tuner description\n\nThis tuner distributes the NIC IRQs and queues according'
        " to the specified mode.\n"
    )
    assert NET_HELP_MODES in net and net.endswith("\t- Otherwise use the 'mq' mode.\n")
    for topic in ("aio_events", "clocksource", "cpu", "disk_irq", "disk_scheduler", "fstrim"):
        assert rpk(["redpanda", "tune", "help", topic]).stdout.startswith(
            f'"{topic}" tuner description\n\n'
        )
    nomerges = rpk(["redpanda", "tune", "help", "nomerges"]).stdout
    assert nomerges == (
        '"nomerges" tuner description\n\nDisables merging adjacent IO requests, which would'
        " require checking outstanding\nIO requests to batch them where possible, incurring in"
        " some CPU overhead.\n\n"
    )
    for args, message in [
        ([], "requires the tuner name"),
        (["cpu", "net"], "requires the tuner name"),
        (
            ["disk_nomerges"],
            "no help found for tuner 'disk_nomerges'. Available: aio_events, clocksource, cpu,"
            " disk_irq, disk_scheduler, fstrim, net, nomerges, swappiness, transparent_hugepages",
        ),
    ]:
        bad = rpk(["redpanda", "tune", "help", *args])
        assert bad.exit_code == 1
        assert bad.stderr.startswith(
            f"Error: {message}\nUsage:\n  rpk redpanda tune help [TUNER] [flags]\n"
        )


def test_as_a_process(rpk_subprocess, host):
    res = rpk_subprocess(
        ["redpanda", "tune", "--root", host.root, "-v", "swappiness", "--nic", "eth0"],
        cwd=host.cwd,
        input="",
    )
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[1].split() == ["swappiness", "true", "true", "true"]
    assert host.read("/proc/sys/vm/swappiness") == "1"
    bad = rpk_subprocess(["redpanda", "tune", "bogus"], input="")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: invalid element to tune 'bogus' only [aio_events ")


def test_list_takes_no_arguments_and_x_help_needs_no_tuner(rpk):
    res = rpk(["redpanda", "tune", "list", "net", "cpu"])
    assert res.exit_code == 1
    assert res.stderr.startswith("Error: accepts 0 arg(s), received 2\nUsage:\n")
    # cobra runs rpk's -X help hook before tune's Args check
    helped = rpk(["redpanda", "tune", "-X", "help"])
    assert helped.exit_code == 0 and helped.stdout.startswith("The -X flag can be used")
