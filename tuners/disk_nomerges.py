"""disk_nomerges: nomerges = 2, no time spent trying to merge requests the device won't need."""

from __future__ import annotations

from tuners.base import equality_checker
from tuners.common import file_tunable
from tuners.context import TuneContext
from tuners.disk_common import per_device
from tuners.system.disk import queue_file

EXPECTED = 2
HELP = (
    "Disables merging of adjacent I/O requests on the data disks (nomerges = 2): fast "
    "devices gain nothing from it and it costs CPU."
)


def checker(fs, device: str):
    path = queue_file(fs, device, "nomerges")
    return equality_checker(
        f"disk_nomerges_{device}",
        f"Disk '{device}' nomerges tuned",
        EXPECTED,
        lambda: fs.read_int(path),
    )


def build(ctx: TuneContext):
    fs = ctx.fs
    return per_device(
        ctx,
        lambda d: file_tunable(ctx, checker(fs, d), queue_file(fs, d, "nomerges"), str(EXPECTED)),
    )
