"""A fake host for the tuners (it stands for the OS, which we do not ship): a realistic /proc, /sys
and /etc under a temporary root, and tuner contexts built on it.

The host: 8 CPUs (4 cores x 2 threads), an NVMe disk holding
the data directory, a SATA disk, a 4-queue NIC with MSI-X IRQs, and untuned kernel settings."""

from __future__ import annotations

import os
from dataclasses import dataclass

import yaml

from tuners.config import TUNER_SWITCHES
from tuners.context import TuneContext, TuneParams
from tuners.executors import DirectExecutor
from tuners.fs import RootFs

CPUS = 8
NVME_PCI = "/sys/devices/pci0000:00/0000:00:04.0"
SATA_PCI = "/sys/devices/pci0000:00/0000:00:1f.2"
NIC_PCI = "/sys/devices/pci0000:00/0000:00:03.0"
NVME_IRQS = list(range(40, 49))  # nvme0q0 (admin) .. nvme0q8
SATA_IRQS = [50]
NIC_IRQS = list(range(60, 65))  # eth0 (link) + eth0-TxRx-0..3
NIC_QUEUES = 4
DATA_DIR = "/var/lib/redpanda/data"


@dataclass
class Host:
    root: str

    def path(self, host_path: str) -> str:
        return os.path.join(self.root, host_path.lstrip("/"))

    def read(self, host_path: str) -> str:
        with open(self.path(host_path)) as f:
            return f.read().strip()

    def write(self, host_path: str, text: str) -> None:
        real = self.path(host_path)
        os.makedirs(os.path.dirname(real), exist_ok=True)
        with open(real, "w") as f:
            f.write(text + "\n")

    def link(self, host_path: str, target_host_path: str) -> None:
        """A relative symlink, as sysfs has, so it resolves inside the root."""
        real = self.path(host_path)
        os.makedirs(os.path.dirname(real), exist_ok=True)
        os.symlink(os.path.relpath(self.path(target_host_path), os.path.dirname(real)), real)

    def write_config(self, rpk: dict, name: str = "redpanda.yaml") -> str:
        config = {
            "redpanda": {
                "data_directory": DATA_DIR,
                "rpc_server": {"address": "0.0.0.0", "port": 33145},
                "kafka_api": [{"address": "0.0.0.0", "port": 9092}],
            },
            "rpk": rpk,
        }
        path = self.path(f"/etc/redpanda/{name}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            yaml.safe_dump(config, f)
        return path


def build_host(root: str, gcp: bool = True) -> Host:
    host = Host(root)
    _proc(host)
    _cpus(host)
    _disks(host)
    _nic(host)
    host.write("/sys/devices/system/clocksource/clocksource0/current_clocksource", "hpet")
    host.write(
        "/sys/devices/system/clocksource/clocksource0/available_clocksource", "tsc hpet acpi_pm"
    )
    host.write("/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never")
    host.write(
        "/sys/class/dmi/id/product_name", "Google Compute Engine" if gcp else "PowerEdge R650"
    )
    host.write("/etc/default/grub", 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX="quiet"')
    host.write("/sys/module/intel_idle/parameters/max_cstate", "9")
    os.makedirs(host.path(DATA_DIR), exist_ok=True)
    return host


def _proc(host: Host) -> None:
    values = {
        "vm/swappiness": "60",
        "fs/aio-max-nr": "65536",
        "kernel/core_pattern": "core",
        "kernel/osrelease": "6.1.0-18-amd64",
        "net/core/somaxconn": "128",
        "net/core/rps_sock_flow_entries": "0",
        "net/ipv4/tcp_max_syn_backlog": "512",
    }
    for key, value in values.items():
        host.write(f"/proc/sys/{key}", value)
    host.write(
        "/proc/meminfo",
        "MemTotal:       65843648 kB\nMemFree:        60000000 kB\nSwapTotal:       8388604 kB",
    )
    host.write("/proc/mounts", "/dev/nvme0n1p1 / xfs rw,relatime 0 0\nproc /proc proc rw 0 0")
    names = {i: f"nvme0q{i - 40}" for i in NVME_IRQS} | {50: "ahci[0000:00:1f.2]", 60: "eth0"}
    names |= {irq: f"eth0-TxRx-{n}" for n, irq in enumerate(NIC_IRQS[1:])}
    counts = " ".join(["0"] * CPUS)
    lines = ["  " + " ".join(f"CPU{i}" for i in range(CPUS))]
    lines += [
        f"{irq}: {counts} PCI-MSIX-0000:00:04.0 {irq}-edge {name}"
        for irq, name in sorted(names.items())
    ]
    host.write("/proc/interrupts", "\n".join(lines))
    for irq in names:
        host.write(f"/proc/irq/{irq}/smp_affinity", "ff")


def _cpus(host: Host) -> None:
    base = "/sys/devices/system/cpu"
    host.write(f"{base}/online", f"0-{CPUS - 1}")
    for cpu in range(CPUS):
        host.write(f"{base}/cpu{cpu}/topology/core_id", str(cpu % (CPUS // 2)))
        host.write(f"{base}/cpu{cpu}/topology/physical_package_id", "0")
        host.write(f"{base}/cpufreq/policy{cpu}/scaling_governor", "powersave")
    host.write(f"{base}/cpu0/cpufreq/scaling_driver", "intel_pstate")
    host.write(f"{base}/cpufreq/boost", "1")


def _disks(host: Host) -> None:
    nvme = f"{NVME_PCI}/nvme/nvme0/nvme0n1"
    sata = f"{SATA_PCI}/ata1/host0/target0:0:0/0:0:0:0/block/sda"
    for irq in NVME_IRQS:
        host.write(f"{NVME_PCI}/msi_irqs/{irq}", "msix")
    host.write(f"{SATA_PCI}/msi_irqs/{SATA_IRQS[0]}", "msi")
    for disk in (nvme, sata):
        name = disk.rsplit("/", 1)[1]
        part = name + ("p1" if name[-1].isdigit() else "1")
        host.write(f"{disk}/queue/scheduler", "[mq-deadline] kyber bfq none")
        host.write(f"{disk}/queue/nomerges", "0")
        host.write(f"{disk}/queue/write_cache", "write back")
        host.write(f"{disk}/{part}/partition", "1")
        host.link(f"/sys/block/{name}", disk)
        host.link(f"/sys/class/block/{name}", disk)
        host.link(f"/sys/class/block/{part}", f"{disk}/{part}")
    st_dev = os.stat(host.root).st_dev  # the data directory's real device maps to nvme0n1p1
    host.link(f"/sys/dev/block/{os.major(st_dev)}:{os.minor(st_dev)}", f"{nvme}/nvme0n1p1")


def _nic(host: Host) -> None:
    nic = f"{NIC_PCI}/net/eth0"
    for irq in NIC_IRQS:
        host.write(f"{NIC_PCI}/msi_irqs/{irq}", "msix")
    for n in range(NIC_QUEUES):
        host.write(f"{nic}/queues/rx-{n}/rps_cpus", "00")
        host.write(f"{nic}/queues/rx-{n}/rps_flow_cnt", "0")
        host.write(f"{nic}/queues/tx-{n}/xps_cpus", "00")
    host.link(f"{nic}/device", NIC_PCI)
    host.link("/sys/class/net/eth0", nic)
    host.write("/sys/devices/virtual/net/lo/queues/rx-0/rps_cpus", "0")
    host.link("/sys/class/net/lo", "/sys/devices/virtual/net/lo")


ALL_ENABLED = {switch: True for switch in TUNER_SWITCHES.values()}


def make_config(rpk: dict | None = None) -> dict:
    return {
        "redpanda": {
            "data_directory": DATA_DIR,
            "rpc_server": {"address": "0.0.0.0", "port": 33145},
            "kafka_api": [{"address": "0.0.0.0", "port": 9092}],
        },
        "rpk": {
            **ALL_ENABLED,
            "coredump_dir": "/var/lib/redpanda/coredump",
            "ballast_file_size": "1MiB",
            **(rpk or {}),
        },
    }


def make_ctx(
    root: str,
    executor=None,
    params: TuneParams | None = None,
    config: dict | None = None,
    machine: str = "x86_64",
) -> TuneContext:
    fs = RootFs(root)
    return TuneContext(
        fs,
        executor or DirectExecutor(fs),
        config or make_config(),
        params or TuneParams(nics=["eth0"]),
        machine,
    )
