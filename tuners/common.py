"""Building blocks shared by tuners: "this file must hold that value" tunables."""

from __future__ import annotations

from collections.abc import Callable

from tuners.base import Checker
from tuners.checked import CheckedTunable, Supported
from tuners.context import TuneContext
from tuners.executors.commands import Sysctl, WriteFile
from tuners.fs import RootFs


def writable(fs: RootFs, path: str) -> Supported:
    def supported() -> tuple[bool, str]:
        reason = fs.unwritable_reason(path)
        return (not reason), reason

    return supported


def all_of(*checks: Supported) -> Supported:
    def supported() -> tuple[bool, str]:
        for check in checks:
            ok, reason = check()
            if not ok:
                return False, reason
        return True, ""

    return supported


def file_tunable(
    ctx: TuneContext,
    checker: Checker,
    path: str,
    value: str,
    supported: Supported | None = None,
) -> CheckedTunable:
    """Write `value` to `path` when `checker` fails."""
    return CheckedTunable(
        [checker],
        lambda ex: ex.execute(WriteFile(path, value)),
        ctx.executor,
        supported or writable(ctx.fs, path),
    )


def sysctl_tunable(ctx: TuneContext, checker: Checker, key: str, value: int) -> CheckedTunable:
    command = Sysctl(key, str(value))
    return CheckedTunable(
        [checker], lambda ex: ex.execute(command), ctx.executor, writable(ctx.fs, command.path)
    )


def sysctl_reader(fs: RootFs, key: str) -> Callable[[], int]:
    path = "/proc/sys/" + key.replace(".", "/")
    return lambda: fs.read_int(path)
