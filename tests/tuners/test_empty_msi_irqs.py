"""rpk's empty-MSI-IRQ case (redpanda issue 10838, a kernel 5.17 regression): a device whose
sysfs msi_irqs directory exists but lists nothing. rpk's GetIRQs returns EmptyMSIRQError
(src/go/rpk/pkg/tuners/irq/device_info.go); the disk_irq and net tuners fail with it when they
tune, before changing anything; `rpk redpanda tune` (cli/redpanda/tune/tune.go) then shows the
tuner as applied false, supported false, with the error, and clears its exit-1 flag."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.support.hosts import NIC_IRQS, NIC_PCI, NVME_IRQS, NVME_PCI, make_ctx
from tuners.check import run_checks
from tuners.registry import TUNERS
from tuners.system.irq import EmptyMsiIrqs, device_irqs

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NVME_MESSAGE = (
    f'device "{NVME_PCI}" uses MSI IRQs but the list of msi_irqs in sysfs is empty; '
    "see https://github.com/redpanda-data/redpanda/issues/10838"
)
NIC_MESSAGE = (
    'device "/sys/class/net/eth0/device" uses MSI IRQs but the list of msi_irqs in sysfs '
    "is empty; see https://github.com/redpanda-data/redpanda/issues/10838"
)


def empty_msi_irqs(host, pci: str) -> None:
    shutil.rmtree(host.path(f"{pci}/msi_irqs"))
    os.makedirs(host.path(f"{pci}/msi_irqs"))


def affinities(host, irqs: list[int]) -> list[str]:
    return [host.read(f"/proc/irq/{irq}/smp_affinity") for irq in irqs]


def rpk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "redpanda", "tune", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_device_irqs_raises_rpks_error_naming_the_controller_or_the_device(host):
    empty_msi_irqs(host, NVME_PCI)
    ctx = make_ctx(host.root)
    with pytest.raises(EmptyMsiIrqs) as raised:
        device_irqs(ctx.fs, "/sys/class/block/nvme0n1")
    assert str(raised.value) == NVME_MESSAGE  # the controller that has msi_irqs, as rpk's path
    empty_msi_irqs(host, NIC_PCI)
    with pytest.raises(EmptyMsiIrqs) as raised:
        device_irqs(ctx.fs, "/sys/class/net/eth0/device")
    assert str(raised.value) == NIC_MESSAGE  # the path it was asked about, as rpk's


def test_a_missing_msi_irqs_directory_is_not_the_error(host):
    shutil.rmtree(host.path(f"{NVME_PCI}/msi_irqs"))
    host.write(f"{NVME_PCI}/irq", "11")
    assert device_irqs(make_ctx(host.root).fs, "/sys/class/block/nvme0n1") == [11]


@pytest.mark.parametrize(
    "name, pci, irqs, message",
    [("disk_irq", NVME_PCI, NVME_IRQS, NVME_MESSAGE), ("net", NIC_PCI, NIC_IRQS, NIC_MESSAGE)],
)
def test_the_tuner_is_supported_and_fails_with_the_error_changing_nothing(
    host, name, pci, irqs, message
):
    empty_msi_irqs(host, pci)
    before = affinities(host, irqs)
    ctx = make_ctx(host.root)
    tunable = TUNERS[name].build(ctx)
    assert tunable.check_if_supported() == (True, "")  # rpk looks at the IRQs when it tunes
    result = tunable.tune()
    assert (result.error, result.empty_msi_irqs) == (message, True)
    assert ctx.executor.executed == []
    assert affinities(host, irqs) == before
    assert host.read("/proc/sys/net/core/somaxconn") == "128"  # net stopped before its sysctls


def test_tune_shows_a_warning_row_and_exits_0(host):
    empty_msi_irqs(host, NVME_PCI)
    config = host.write_config({"tune_disk_irq": True, "tune_swappiness": True})
    done = rpk("disk_irq,swappiness", "--config", config, "--root", host.root)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # rpk's warning is the table row on stdout
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["TUNER", "APPLIED", "ENABLED", "SUPPORTED", "ERROR"]
    assert lines[1].split(None, 4) == ["disk_irq", "false", "true", "false", NVME_MESSAGE]
    assert lines[2].split() == ["swappiness", "true", "true", "true"]
    assert host.read("/proc/sys/vm/swappiness") == "1"


def test_tune_list_does_not_look_at_the_irqs(host):
    empty_msi_irqs(host, NVME_PCI)
    config = host.write_config({"tune_disk_irq": True})
    done = rpk("list", "--config", config, "--root", host.root)
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("disk_irq"))
    assert row.split() == ["disk_irq", "true", "true"]


@pytest.mark.parametrize("names, code", [("fstrim,disk_irq", 0), ("disk_irq,fstrim", 1)])
def test_the_warning_clears_the_exit_code_of_the_tuners_before_it(host, names, code):
    # rpk's tune.go sets its exit flag to false at the warning: an earlier failure (fstrim is
    # enabled and unsupported off the real root) no longer counts, a later one does
    empty_msi_irqs(host, NVME_PCI)
    config = host.write_config({"tune_disk_irq": True, "tune_fstrim": True})
    done = rpk(names, "--config", config, "--root", host.root)
    assert done.returncode == code, done.stdout
    rows = {line.split()[0]: line.split()[:4] for line in done.stdout.splitlines()[1:]}
    assert rows["fstrim"] == ["fstrim", "false", "true", "false"]
    assert rows["disk_irq"] == ["disk_irq", "false", "true", "false"]


def test_check_reports_the_error_for_the_disk_irq_checker(host):
    empty_msi_irqs(host, NVME_PCI)
    config = {"redpanda": {"data_directory": "/var/lib/redpanda/data"}, "rpk": {}}
    results = run_checks(config, host.root, host.path("/etc/redpanda/redpanda.yaml"))
    irq = [r for r in results if r.checker_id == "disk_irq"]
    assert len(irq) == 1 and not irq[0].ok
    assert irq[0].error == NVME_MESSAGE
