"""Hosts where tuners cannot run say so, with the reason."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from tests.support.hosts import build_host, make_config, make_ctx
from tuners import run
from tuners.context import TuneParams
from tuners.fs import RootFs
from tuners.registry import TUNERS


def reason(host, name, **kwargs) -> tuple[bool, str]:
    return TUNERS[name].build(make_ctx(host.root, **kwargs)).check_if_supported()


def test_no_directories_and_no_disks(host):
    config = make_config()
    config["redpanda"]["data_directory"] = ""
    assert reason(host, "disk_scheduler", config=config) == (
        False,
        "Either directories or devices must be provided for disk tuner",
    )


def test_host_without_nvme_or_the_named_disk(host):
    assert reason(host, "disk_nomerges", params=TuneParams(disks=["nvme9n1"])) == (
        False,
        "block device nvme9n1 not found under /sys/class/block",
    )


def test_scheduler_without_none_or_noop(host):
    host.write("/sys/block/sda/queue/scheduler", "[mq-deadline] kyber bfq")
    assert reason(host, "disk_scheduler", params=TuneParams(disks=["sda"])) == (
        False,
        "None and Noop schedulers are not supported for sda",
    )


def test_write_cache_outside_gcp(tmp_path):
    host = build_host(str(tmp_path / "root"), gcp=False)
    assert reason(host, "disk_write_cache") == (
        False,
        "Disk write cache tuner is only supported in GCP",
    )


def test_vm_without_tsc_and_other_architectures(host):
    host.write(
        "/sys/devices/system/clocksource/clocksource0/available_clocksource", "kvm-clock acpi_pm"
    )
    assert reason(host, "clocksource") == (False, "Preferred clocksource 'tsc' not available")
    assert reason(host, "clocksource", machine="aarch64") == (
        False,
        "Clocksource setting not available for this architecture",
    )


def test_container_without_cpufreq_or_thp(host):
    shutil.rmtree(host.path("/sys/devices/system/cpu/cpufreq"))
    shutil.rmtree(host.path("/sys/kernel/mm/transparent_hugepage"))
    host.write("/.dockerenv", "")
    assert reason(host, "cpu") == (
        False,
        "CPU frequency scaling (cpufreq) is not exposed on this host (running in a container)",
    )
    ok, why = reason(host, "transparent_hugepages")
    assert not ok and why.startswith("None of /sys/kernel/mm/transparent_hugepage")


def test_fstrim_needs_the_hosts_systemd(host):
    ok, why = reason(host, "fstrim")
    assert not ok and "needs root '/'" in why


def test_virtual_nic_is_skipped_and_missing_nic_is_unsupported(host):
    tunable = TUNERS["net"].build(make_ctx(host.root, params=TuneParams(nics=["lo"])))
    assert tunable.check_if_supported() == (True, "")
    assert tunable.notes == ["lo is a virtual interface, skipped"]
    assert reason(host, "net", params=TuneParams(nics=["eth9"])) == (
        False,
        "network interface eth9 does not exist",
    )


def test_enabled_but_unsupported_is_a_failure_except_write_cache_and_clocksource(tmp_path):
    host = build_host(str(tmp_path / "root"), gcp=False)
    host.write("/sys/devices/system/clocksource/clocksource0/available_clocksource", "kvm-clock")
    reports = {r.name: r for r in run.run(make_ctx(host.root), sorted(TUNERS))}
    assert reports["fstrim"].failed and "needs root" in reports["fstrim"].error
    assert not reports["disk_write_cache"].failed and not reports["clocksource"].failed
    assert reports["swappiness"].applied and not reports["swappiness"].failed


def _as_nobody(function) -> str:
    """Run `function()` in a forked child that dropped to uid 65534; its result as text."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            os.write(write_end, function().encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return text


def test_not_root_is_reported():
    """As an unprivileged user, a root-owned /proc/sys file is not writable: say to run as root."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to an unprivileged user")
    root = tempfile.mkdtemp(prefix="ailurus-tuners-")
    try:
        os.chmod(root, 0o755)
        build_host(root)
        fs = RootFs(root)
        assert _as_nobody(lambda: fs.unwritable_reason("/proc/sys/vm/swappiness")) == (
            "/proc/sys/vm/swappiness is not writable: run as root"
        )
    finally:
        shutil.rmtree(root)
