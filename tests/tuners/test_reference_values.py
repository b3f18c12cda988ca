"""Targets, thresholds, severities and defaults from rpk's tuners and checkers (rpk.md section 3),
pinned one by one so that changing any of them fails a test."""

from __future__ import annotations

import pytest

from tests.support.hosts import CPUS, make_config
from tuners import disk_irq, fstrim, net
from tuners.ballast_file import ballast_settings
from tuners.base import Severity
from tuners.check import run_checks
from tuners.config import load_config

# rpk.md 3.4: description -> (severity, requirement as reported).
CHECKS = {
    "Config file valid": (Severity.FATAL, "valid"),
    "Data directory is writable": (Severity.FATAL, "writable"),
    "Data partition free space [GB]": (Severity.WARNING, ">= 10"),
    "Free memory per CPU [MB]": (Severity.WARNING, ">= 2048"),
    "Swap enabled": (Severity.WARNING, "true"),
    "Data directory filesystem type": (Severity.WARNING, "xfs"),
    "Transparent huge pages active": (Severity.WARNING, "not never"),
    "NTP Synced": (Severity.WARNING, "true"),
    "RFS table entries": (Severity.WARNING, ">= 32768"),
    "Listen backlog (somaxconn)": (Severity.WARNING, ">= 4096"),
    "SYN backlog": (Severity.WARNING, ">= 4096"),
    "Max AIO Events": (Severity.WARNING, ">= 1048576"),
    "Clock Source": (Severity.WARNING, "tsc"),
    "Swappiness": (Severity.WARNING, "1"),
    "Kernel Version": (Severity.WARNING, ">= 3.19"),
    "Ballast file present": (Severity.WARNING, "/var/lib/redpanda/data/ballast"),
}


def results(host, config=None) -> dict:
    found = run_checks(config or make_config(), host.root, host.path("/etc/redpanda/redpanda.yaml"))
    return {r.description: r for r in found}


def test_checker_severities_and_requirements(host):
    by_name = results(host)
    assert {d: (by_name[d].severity, by_name[d].required) for d in CHECKS} == CHECKS
    disk_and_nic = [r for d, r in by_name.items() if d.startswith(("Disk ", "NIC "))]
    assert disk_and_nic and all(r.severity is Severity.WARNING for r in disk_and_nic)


@pytest.mark.parametrize(
    "release, ok", [("3.18.140", False), ("3.19.0", True), ("6.1.0-18-amd64", True)]
)
def test_kernel_version_boundary(host, release, ok):
    host.write("/proc/sys/kernel/osrelease", release)
    assert results(host)["Kernel Version"].ok is ok


@pytest.mark.parametrize("mb_per_cpu, ok", [(2047, False), (2048, True)])
def test_memory_per_cpu_boundary(host, mb_per_cpu, ok):
    host.write("/proc/meminfo", f"MemTotal: {mb_per_cpu * 1024 * CPUS} kB\nSwapTotal: 0 kB")
    assert results(host)["Free memory per CPU [MB]"].ok is ok


def test_filesystem_must_be_xfs(host):
    host.write("/proc/mounts", "/dev/nvme0n1p1 / ext4 rw,relatime 0 0")
    result = results(host)["Data directory filesystem type"]
    assert (result.ok, result.current) == (False, "ext4")


def test_ballast_and_coredump_defaults():
    assert ballast_settings({}) == ("/var/lib/redpanda/data/ballast", 1 << 30)
    assert (
        load_config("/nonexistent/redpanda.yaml")["rpk"]["coredump_dir"]
        == "/var/lib/redpanda/coredump"
    )


@pytest.mark.parametrize(
    "rx_queues, cpus, cores, mode",
    [
        (1, 10, 5, "sq_split"),  # 5 cores per queue > 4
        (1, 8, 4, "sq"),  # 4 cores per queue, 8 PUs per queue > 4
        (2, 8, 4, "mq"),  # 2 cores and 4 PUs per queue
        (1, 4, 4, "mq"),
    ],
)
def test_net_default_irq_mode(rx_queues, cpus, cores, mode):
    assert net.default_mode(rx_queues, list(range(cpus)), cores) == mode


@pytest.mark.parametrize(
    "devices, cpus, cores, mode",
    [
        (["nvme0n1"], 16, 8, "mq"),  # no non-NVMe disk
        (["sda"], 4, 2, "mq"),  # PUs <= 4
        (["sda"], 8, 4, "sq"),  # cores <= 4
        (["sda", "nvme0n1"], 16, 8, "sq_split"),
    ],
)
def test_disk_default_irq_mode(devices, cpus, cores, mode):
    assert disk_irq.default_mode(devices, list(range(cpus)), cores) == mode


def test_fstrim_units():
    assert "ExecStart=/sbin/fstrim --fstab --verbose --quiet" in fstrim.SERVICE_UNIT
    assert "Type=oneshot" in fstrim.SERVICE_UNIT
    for line in ("OnCalendar=weekly", "AccuracySec=1h", "Persistent=true"):
        assert line in fstrim.TIMER_UNIT.splitlines()
