"""disk_irq: pin the data disks' IRQs; NVMe queues spread over every allowed CPU."""

from __future__ import annotations

from tuners.base import TunerError
from tuners.checked import AggregatedTunable
from tuners.context import TuneContext
from tuners.disk_common import devices
from tuners.irq_affinity import EmptyMsiIrqsTunable, irq_affinity_tunable
from tuners.system.cpu import allowed_cpus, cores
from tuners.system.disk import device_path, is_nvme
from tuners.system.irq import EmptyMsiIrqs, device_irqs, distribute, mode_cpus
from tuners.units import cpus_to_mask

# rpk's `rpk redpanda tune help` text for this tuner, as rpk prints it
HELP = """
This tuner distributes block devices IRQs according to the specified mode.
It can work using both the device name or a directory,
then the device where directory is stored will be optimized.
For the IRQs distribution the tuner uses only those CPUs that are allowed by
the provided CPU masks. IRQs of non-NVMe devices are distributed across the
cores that are calculated based on the mode provided,
NVMe devices IRQs are distributed across all available cores allowed by CPU mask.

This tuner performs the following operations:
\t- Setup disks IRQs affinity
\t- Ban the IRQ Balance service from moving distributed IRQs

Modes description:

\tsq - set all IRQs of a given non-NVME devices to CPU0,
\t\tNVME devices IRQs are distributed across all available CPUs

\tsq_split - divide all IRQs of a non-NVME devices between CPU0
\t\t\tand its HT siblings, NVME devices IRQs are distributed
\t\t\tacross all available CPUs

\tmq - distribute all devices IRQs across all available CPUs

If there isn't any mode given script will use a default mode:

\t- If there are no non-NVME devices use ‘mq’ mode
\t- Otherwise, if number of hyper-threads
\t  is lower than 4 - use the ‘mq’ mode
\t- Otherwise, if number of physical CPU cores
\t  is lower than 4 - use the 'sq' mode.
\t- Otherwise use the ‘sq-split’ mode."""


def default_mode(device_names: list[str], cpus: list[int], core_count: int) -> str:
    if all(is_nvme(d) for d in device_names) or len(cpus) <= 4:
        return "mq"
    return "sq" if core_count <= 4 else "sq_split"


def expected_masks(ctx: TuneContext, device: str, cpus: list[int], mode: str) -> dict[int, int]:
    irqs = device_irqs(ctx.fs, device_path(device))
    if is_nvme(device):
        return distribute(irqs, cpus)
    irq_cpus, _ = mode_cpus(mode, cores(ctx.fs, cpus))
    if mode == "mq":
        return distribute(irqs, irq_cpus)
    return {irq: cpus_to_mask(irq_cpus) for irq in irqs}


def build(ctx: TuneContext):
    try:
        found = devices(ctx)
        cpus = allowed_cpus(ctx.fs, ctx.params.cpu_set)
    except (TunerError, ValueError) as exc:
        return AggregatedTunable([], unsupported_reason=str(exc))
    mode = ctx.params.irq_mode or default_mode(found, cpus, len(cores(ctx.fs, cpus)))
    cpu_count = max(cpus) + 1
    try:  # rpk reads every device's IRQs before it tunes any
        expected = {device: expected_masks(ctx, device, cpus, mode) for device in found}
    except EmptyMsiIrqs as exc:
        return AggregatedTunable([EmptyMsiIrqsTunable(exc, "disk_irq", "Disks IRQ affinity")])
    children = [
        irq_affinity_tunable(
            ctx, f"disk_irq_{device}", f"Disk '{device}' IRQ affinity", masks, cpu_count
        )
        for device, masks in expected.items()
    ]
    return AggregatedTunable(children)
