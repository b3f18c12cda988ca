"""What the disk tuners share: one child tunable per block device behind --disks/--dirs."""

from __future__ import annotations

from collections.abc import Callable

from tuners.base import Checker, Severity, TunerError
from tuners.checked import AggregatedTunable, CheckedTunable
from tuners.context import TuneContext
from tuners.system.disk import all_devices, device_path

NO_DEVICES = "Either directories or devices must be provided for disk tuner"


def devices(ctx: TuneContext) -> list[str]:
    if not ctx.dirs and not ctx.params.disks:
        raise TunerError(NO_DEVICES)
    found = all_devices(ctx.fs, ctx.params.disks, ctx.dirs)
    for device in found:
        if not ctx.fs.exists(device_path(device)):
            raise TunerError(f"block device {device} not found under /sys/class/block")
    return found


def per_device(ctx: TuneContext, make: Callable[[str], CheckedTunable]) -> AggregatedTunable:
    try:
        found = devices(ctx)
    except TunerError as exc:
        return AggregatedTunable([], unsupported_reason=str(exc))
    return AggregatedTunable([make(device) for device in found])


def choice_checker(
    checker_id: str, description: str, accepted: tuple[str, ...], read: Callable[[], str]
) -> Checker:
    return Checker(
        checker_id, description, Severity.WARNING, "|".join(accepted), read, lambda v: v in accepted
    )
