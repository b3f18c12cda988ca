"""Listing and running tuners: one TunerReport row per requested tuner."""

from __future__ import annotations

from dataclasses import dataclass

from tuners.base import TunerError
from tuners.config import tuner_enabled
from tuners.context import TuneContext
from tuners.registry import TUNERS, UNSUPPORTED_IS_FINE


@dataclass
class TunerReport:
    name: str
    enabled: bool
    supported: bool
    reason: str = ""
    applied: bool = False
    error: str = ""
    reboot_required: bool = False
    # rpk's empty-MSI-IRQ error: shown as unsupported, with the error, and not a failure
    empty_msi_irqs: bool = False
    order: int = 0  # the position of the tuner on the command line

    @property
    def failed(self) -> bool:
        """Counts towards a non-zero exit: a tune error, or enabled yet unsupported."""
        if self.empty_msi_irqs:
            return False
        if self.error and self.supported:
            return True
        return self.enabled and not self.supported and self.name not in UNSUPPORTED_IS_FINE


def exit_failed(reports: list[TunerReport]) -> bool:
    """Whether `rpk redpanda tune` exits 1, as rpk decides it: tuner by tuner in the order they
    ran, an empty-MSI-IRQ warning clearing what the tuners before it set (rpk's tune.go sets its
    exit flag to false there, not just for that tuner)."""
    failed = False
    for report in sorted(reports, key=lambda r: r.order):
        failed = False if report.empty_msi_irqs else failed or report.failed
    return failed


def _build(ctx: TuneContext, name: str):
    try:
        return TUNERS[name].build(ctx), ""
    except (TunerError, ValueError, OSError) as exc:
        return None, str(exc)


def describe(ctx: TuneContext, names: list[str]) -> list[TunerReport]:
    """What `tune list` shows: enabled and supported, executing nothing."""
    return [_describe(ctx, name) for name in sorted(names)]


def _describe(ctx: TuneContext, name: str) -> TunerReport:
    tunable, problem = _build(ctx, name)
    supported, reason = (False, problem) if tunable is None else tunable.check_if_supported()
    return TunerReport(name, tuner_enabled(ctx.config, name), supported, reason)


def run(ctx: TuneContext, names: list[str]) -> list[TunerReport]:
    """Tune every enabled and supported tuner of `names` in the order given (a name given twice
    is tuned twice, as rpk does); the reports in name order. No overall deadline: as in rpk,
    a time limit (the executor's) bounds each command a tuner runs."""
    reports = []
    for order, name in enumerate(names):
        report = _describe(ctx, name)
        report.order = order
        if report.enabled and report.supported:
            _apply(ctx, report)
        elif report.enabled and report.reason and report.name not in UNSUPPORTED_IS_FINE:
            report.error = report.reason
        reports.append(report)
    return sorted(reports, key=lambda r: r.name)


def _apply(ctx: TuneContext, report: TunerReport) -> None:
    tunable, problem = _build(ctx, report.name)
    if tunable is None:
        report.error = problem
        return
    result = tunable.tune()
    report.applied = result.ok
    report.error = result.error
    report.reboot_required = result.reboot_required
    if result.empty_msi_irqs:  # rpk: a warning, the tuner shown as unsupported
        report.empty_msi_irqs = True
        report.supported = False
