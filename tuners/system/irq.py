"""IRQs: /proc/interrupts, the IRQs of a device, affinity masks, their distribution over CPUs,
and irqbalance (which would undo static affinity unless the IRQs are banned)."""

from __future__ import annotations

import re

from tuners.base import TunerError
from tuners.fs import RootFs
from tuners.units import cpus_to_mask

IRQBALANCE_CONFIGS = (
    ("/etc/default/irqbalance", "OPTIONS"),
    ("/etc/sysconfig/irqbalance", "IRQBALANCE_ARGS"),
    ("/etc/conf.d/irqbalance", "IRQBALANCE_OPTS"),
)


def interrupt_names(fs: RootFs) -> dict[int, str]:
    """IRQ number -> the device name /proc/interrupts shows in its last column."""
    names: dict[int, str] = {}
    for line in fs.read_or("/proc/interrupts", "").splitlines():
        head, sep, rest = line.partition(":")
        if sep and head.strip().isdigit():
            words = rest.split()
            names[int(head)] = words[-1] if words else ""
    return names


# rpk's EmptyMSIRQError text (src/go/rpk/pkg/tuners/irq/device_info.go)
EMPTY_MSI_IRQS = (
    "device {device} uses MSI IRQs but the list of msi_irqs in sysfs is empty; "
    "see https://github.com/redpanda-data/redpanda/issues/10838"
)


class EmptyMsiIrqs(TunerError):
    """A device has an msi_irqs directory with nothing in it (a kernel 5.17 regression): rpk's
    EmptyMSIRQError, which `rpk redpanda tune` reports as a warning instead of a failure."""

    def __init__(self, device: str) -> None:
        quoted = '"' + device.replace("\\", "\\\\").replace('"', '\\"') + '"'  # Go's %q
        super().__init__(EMPTY_MSI_IRQS.format(device=quoted))


def device_irqs(fs: RootFs, device_path: str) -> list[int]:
    """The IRQs of the device at `device_path` (or of its nearest parent that has any).

    A device with an empty msi_irqs directory raises EmptyMsiIrqs, as rpk's GetIRQs does; it is
    named as rpk names it: `device_path` itself, else the parent (the controller) that has it.
    """
    path = fs.realpath(device_path)
    while path.startswith("/sys/devices/") and path != "/sys/devices":
        names = fs.listdir(f"{path}/msi_irqs")
        msi = [int(n) for n in names if n.isdigit()]
        if msi:
            return sorted(msi)
        if not names and fs.isdir(f"{path}/msi_irqs"):
            named = device_path if path == fs.realpath(device_path) else path
            raise EmptyMsiIrqs(named)
        legacy = fs.read_or(f"{path}/irq", "0")
        if legacy.isdigit() and int(legacy) > 0:
            return [int(legacy)]
        path = path.rsplit("/", 1)[0]
    return []


def affinity_path(irq: int) -> str:
    return f"/proc/irq/{irq}/smp_affinity"


def distribute(irqs: list[int], cpus: list[int]) -> dict[int, int]:
    """Spread IRQs one CPU each, round robin (as hwloc-distrib --single would)."""
    return {irq: cpus_to_mask([cpus[i % len(cpus)]]) for i, irq in enumerate(irqs)}


def mode_cpus(mode: str, cores: list[list[int]]) -> tuple[list[int], list[int]]:
    """(CPUs that take IRQs, CPUs left for computation) for sq | sq_split | mq."""
    # First thread of every core, then the second threads: round robin lands on distinct cores.
    depth = max(len(core) for core in cores)
    every = [core[i] for i in range(depth) for core in cores if i < len(core)]
    if mode == "sq":
        irq_cpus = [cores[0][0]]
    elif mode == "sq_split":
        irq_cpus = list(cores[0])
    else:
        return every, every
    compute = [c for c in every if c not in irq_cpus] or every
    return irq_cpus, compute


def irqbalance_running(fs: RootFs) -> bool:
    for pid in fs.listdir("/proc"):
        if pid.isdigit() and fs.read_or(f"/proc/{pid}/comm", "") == "irqbalance":
            return True
    return False


def irqbalance_config(fs: RootFs) -> tuple[str, str] | None:
    for path, key in IRQBALANCE_CONFIGS:
        if fs.exists(path):
            return path, key
    return None


def banned_irqs(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"--banirq=(\d+)", text)}


def with_banned(text: str, key: str, irqs: list[int]) -> str:
    """The irqbalance config text with `--banirq=<n>` added to its options line for `irqs`."""
    missing = [i for i in irqs if i not in banned_irqs(text)]
    if not missing:
        return text
    bans = " ".join(f"--banirq={i}" for i in missing)
    lines = text.splitlines()
    pattern = re.compile(rf"^\s*{key}=(['\"]?)(.*?)\1\s*$")
    for i, line in enumerate(lines):
        match = pattern.match(line)
        if match:
            current = match.group(2).strip()
            lines[i] = f'{key}="{(current + " " + bans).strip()}"'
            return "\n".join(lines) + "\n"
    return "\n".join([*lines, f'{key}="{bans}"']) + "\n"
