"""disk_scheduler: the 'none' (or 'noop') I/O scheduler; Ailurus orders its own I/O."""

from __future__ import annotations

from tuners.common import all_of, file_tunable, writable
from tuners.context import TuneContext
from tuners.disk_common import choice_checker, per_device
from tuners.system.disk import active_choice, choices, queue_file

PREFERRED = ("none", "noop")
HELP = (
    "Sets the I/O scheduler of the data disks to 'none' (or 'noop' on older kernels), so "
    "requests reach the device in the order the broker issues them."
)


def checker(fs, device: str):
    path = queue_file(fs, device, "scheduler")
    return choice_checker(
        f"disk_scheduler_{device}",
        f"Disk '{device}' scheduler",
        PREFERRED,
        lambda: active_choice(fs.read(path)),
    )


def build(ctx: TuneContext):
    fs = ctx.fs

    def child(device: str):
        path = queue_file(fs, device, "scheduler")
        offered = choices(fs.read_or(path, ""))
        target = next((s for s in PREFERRED if s in offered), "")

        def available() -> tuple[bool, str]:
            if target:
                return True, ""
            return False, f"None and Noop schedulers are not supported for {device}"

        return file_tunable(
            ctx,
            checker(fs, device),
            path,
            target or PREFERRED[0],
            all_of(available, writable(fs, path)),
        )

    return per_device(ctx, child)
