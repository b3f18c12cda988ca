"""Pinning a set of IRQs to CPU masks, and keeping irqbalance from moving them back."""

from __future__ import annotations

from dataclasses import dataclass

from tuners.base import Checker, Severity, TunerError, TuneResult
from tuners.checked import CheckedTunable
from tuners.context import TuneContext
from tuners.executors.ban_irqs import BanIrqs
from tuners.executors.commands import HostCommand, WriteFile
from tuners.fs import RootFs
from tuners.system.irq import (
    IRQBALANCE_CONFIGS,
    EmptyMsiIrqs,
    affinity_path,
    banned_irqs,
    irqbalance_config,
    irqbalance_running,
)
from tuners.units import format_mask, parse_mask


@dataclass(frozen=True)
class Misplaced:
    count: int
    total: int

    def __str__(self) -> str:
        if self.count:
            return f"{self.count} of {self.total} IRQs misplaced"
        return f"all {self.total} IRQs pinned"


def misplaced_irqs(fs: RootFs, expected: dict[int, int]) -> list[int]:
    """IRQs whose affinity differs from `expected`, or that irqbalance is free to move."""
    banned: set[int] = set()
    balancing = irqbalance_running(fs)
    if balancing:
        config = irqbalance_config(fs)
        banned = banned_irqs(fs.read_or(config[0], "")) if config else set()
    wrong = []
    for irq, mask in sorted(expected.items()):
        current = parse_mask(fs.read_or(affinity_path(irq), "0"))
        if current != mask or (balancing and irq not in banned):
            wrong.append(irq)
    return wrong


def irq_affinity_tunable(
    ctx: TuneContext, checker_id: str, description: str, expected: dict[int, int], cpu_count: int
) -> CheckedTunable:
    fs = ctx.fs
    checker = Checker(
        checker_id,
        description,
        Severity.WARNING,
        f"all {len(expected)} IRQs pinned",
        lambda: Misplaced(len(misplaced_irqs(fs, expected)), len(expected)),
        lambda v: v.count == 0,
    )

    def supported() -> tuple[bool, str]:
        if not expected:
            return False, f"no IRQs found for {description.removesuffix(' IRQ affinity')}"
        reason = fs.unwritable_reason(affinity_path(min(expected)))
        return (not reason), reason

    def act(executor) -> None:
        if irqbalance_running(fs):
            _ban(fs, executor, sorted(expected))
        for irq, mask in sorted(expected.items()):
            if parse_mask(fs.read_or(affinity_path(irq), "0")) != mask:
                text = format_mask(mask, cpu_count)
                executor.execute(WriteFile(affinity_path(irq), text, best_effort=True))

    return CheckedTunable([checker], act, ctx.executor, supported)


@dataclass(frozen=True)
class EmptyMsiIrqsTunable:
    """A tuner whose devices' IRQs could not be listed (EmptyMsiIrqs). As rpk's, it is supported
    (rpk looks at the IRQs only when it tunes or checks) and tuning it fails with rpk's error,
    before anything is changed; its check is an error result carrying the same text."""

    error: EmptyMsiIrqs
    checker_id: str
    description: str

    def check_if_supported(self) -> tuple[bool, str]:
        return True, ""

    def tune(self) -> TuneResult:
        return TuneResult(error=str(self.error), empty_msi_irqs=True)

    def checkers(self) -> list[Checker]:
        def read() -> None:
            raise ValueError(str(self.error))

        return [
            Checker(self.checker_id, self.description, Severity.WARNING, "", read, lambda _: False)
        ]


def _ban(fs: RootFs, executor, irqs: list[int]) -> None:
    config = irqbalance_config(fs)
    if config is None:
        names = ", ".join(path for path, _ in IRQBALANCE_CONFIGS)
        raise TunerError(f"irqbalance is running but none of {names} exists to ban IRQs in")
    path, key = config
    executor.execute(BanIrqs(path, key, tuple(irqs)))
    executor.execute(HostCommand(("systemctl", "try-restart", "irqbalance")))
