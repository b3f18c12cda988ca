"""CheckedTunable (check, act only on failure, re-check) and AggregatedTunable."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tuners.base import Checker, TunerError, TuneResult
from tuners.executors import Executor

Supported = Callable[[], tuple[bool, str]]


def always_supported() -> tuple[bool, str]:
    return True, ""


@dataclass
class CheckedTunable:
    """Runs `act` only when one of `checks` fails, then re-checks (unless the executor is lazy).

    `act` receives the executor and issues every side effect through it; it may return True to
    say a reboot is needed before the change takes effect (the re-check is then skipped).
    """

    checks: Sequence[Checker]
    act: Callable[[Executor], bool | None]
    executor: Executor
    supported: Supported = always_supported

    def check_if_supported(self) -> tuple[bool, str]:
        return self.supported()

    def checkers(self) -> list[Checker]:
        return list(self.checks)

    def failing(self) -> list[str]:
        return [_describe(r) for r in (c.check() for c in self.checks) if not r.ok]

    def tune(self) -> TuneResult:
        if not self.failing():
            return TuneResult(skipped=True)
        try:
            reboot = bool(self.act(self.executor))
        except (OSError, TunerError, ValueError) as exc:
            return TuneResult(error=str(exc))
        if reboot or self.executor.lazy:
            return TuneResult(reboot_required=reboot)
        still = self.failing()
        if still:
            return TuneResult(error="post-tune check failed: " + "; ".join(still))
        return TuneResult()


class Part(Protocol):
    """What an AggregatedTunable is made of: a tunable that has checkers."""

    def check_if_supported(self) -> tuple[bool, str]: ...

    def tune(self) -> TuneResult: ...

    def checkers(self) -> list[Checker]: ...


@dataclass
class AggregatedTunable:
    """Supported only if every child is; stops at the first failing child."""

    children: Sequence[Part]
    unsupported_reason: str = ""  # set when the aggregate itself cannot run (e.g. no devices)
    notes: list[str] = field(default_factory=list)

    def check_if_supported(self) -> tuple[bool, str]:
        if self.unsupported_reason:
            return False, self.unsupported_reason
        for child in self.children:
            ok, reason = child.check_if_supported()
            if not ok:
                return False, reason
        return True, ""

    def tune(self) -> TuneResult:
        reboot, skipped = False, True
        for child in self.children:
            result = child.tune()
            if result.error:
                return result
            reboot = reboot or result.reboot_required
            skipped = skipped and result.skipped
        return TuneResult(reboot_required=reboot, skipped=skipped)

    def checkers(self) -> list[Checker]:
        found: list[Checker] = []
        for child in self.children:
            found.extend(child.checkers())
        return found


def _describe(result) -> str:
    if result.error:
        return f"{result.description}: {result.error}"
    return f"{result.description}: required {result.required}, found {result.current or 'nothing'}"
