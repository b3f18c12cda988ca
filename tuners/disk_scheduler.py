"""disk_scheduler: the 'none' (or 'noop') I/O scheduler; Ailurus orders its own I/O."""

from __future__ import annotations

from tuners.common import all_of, file_tunable, writable
from tuners.context import TuneContext
from tuners.disk_common import choice_checker, per_device
from tuners.system.disk import active_choice, choices, queue_file

PREFERRED = ("none", "noop")
# rpk's `rpk redpanda tune help` text for this tuner, as rpk prints it
HELP = """
This tuner sets the preferred I/O scheduler for given block devices and disables
I/O operation merging. It can work using both the device name or a directory,
then the device where directory is stored will be optimized.
The tuner sets either ‘none’ or ‘noop’ scheduler if supported.

Schedulers:

\tnone - used with modern NVMe devices to
\t   \t   bypass OS I/O scheduler and minimize latency
\tnoop - used when ‘none’ is not available,
\t\t   it is preferred for non-NVME devices, this scheduler uses simple FIFO
\t\t   queue where all I/O operations are first stored
\t\t   and then handled by the driver"""


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
