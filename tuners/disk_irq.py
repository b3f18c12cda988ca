"""disk_irq: pin the data disks' IRQs; NVMe queues spread over every allowed CPU."""

from __future__ import annotations

from tuners.base import TunerError
from tuners.checked import AggregatedTunable
from tuners.context import TuneContext
from tuners.disk_common import devices
from tuners.irq_affinity import irq_affinity_tunable
from tuners.system.cpu import allowed_cpus, cores
from tuners.system.disk import device_path, is_nvme
from tuners.system.irq import device_irqs, distribute, mode_cpus
from tuners.units import cpus_to_mask

HELP = (
    "Pins the IRQs of the data disks to CPUs and bans them from irqbalance. NVMe IRQs are "
    "spread over all allowed CPUs (--cpu-set); other disks follow the IRQ mode: sq puts "
    "them on the first CPU, sq_split on the first core, mq on every CPU."
)


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
    children = [
        irq_affinity_tunable(
            ctx,
            f"disk_irq_{device}",
            f"Disk '{device}' IRQ affinity",
            expected_masks(ctx, device, cpus, mode),
            cpu_count,
        )
        for device in found
    ]
    return AggregatedTunable(children)
