"""The tuner vocabulary: checkers, check results, tune results and the Tunable protocol."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


class Severity(enum.IntEnum):
    WARNING = 1
    FATAL = 2

    def __str__(self) -> str:
        return self.name.capitalize()


@dataclass(frozen=True)
class CheckResult:
    checker_id: str
    description: str
    severity: Severity
    required: str
    current: str
    ok: bool
    error: str = ""

    @property
    def is_fatal_failure(self) -> bool:
        return not self.ok and self.severity is Severity.FATAL


@dataclass(frozen=True)
class Checker:
    """Reads one current value and compares it with what is required.

    `read` returns the current value (it may raise OSError/ValueError: that becomes an error
    result); `accept` says whether the value meets the requirement.
    """

    checker_id: str
    description: str
    severity: Severity
    required: str
    read: Callable[[], Any]
    accept: Callable[[Any], bool]

    def check(self) -> CheckResult:
        try:
            value = self.read()
        except (OSError, ValueError) as exc:
            return self._result("", ok=False, error=str(exc) or type(exc).__name__)
        return self._result(str(value), ok=bool(self.accept(value)))

    def _result(self, current: str, ok: bool, error: str = "") -> CheckResult:
        return CheckResult(
            self.checker_id, self.description, self.severity, self.required, current, ok, error
        )


def equality_checker(
    checker_id: str,
    description: str,
    required: Any,
    read: Callable[[], Any],
    severity: Severity = Severity.WARNING,
) -> Checker:
    return Checker(checker_id, description, severity, str(required), read, lambda v: v == required)


def at_least_checker(
    checker_id: str,
    description: str,
    minimum: int | float,
    read: Callable[[], Any],
    severity: Severity = Severity.WARNING,
) -> Checker:
    return Checker(checker_id, description, severity, f">= {minimum}", read, lambda v: v >= minimum)


@dataclass(frozen=True)
class TuneResult:
    error: str = ""
    reboot_required: bool = False
    skipped: bool = False  # True when every check already passed and nothing was done
    # the error is rpk's empty-MSI-IRQ one, which `rpk redpanda tune` shows as a warning
    empty_msi_irqs: bool = False

    @property
    def ok(self) -> bool:
        return not self.error


class Tunable(Protocol):
    def check_if_supported(self) -> tuple[bool, str]: ...

    def tune(self) -> TuneResult: ...


class TunerError(Exception):
    """A tuner could not read or apply something; the message is one line for the user."""
