"""disk_nomerges: nomerges = 2, no time spent trying to merge requests the device won't need."""

from __future__ import annotations

from tuners.base import equality_checker
from tuners.common import file_tunable
from tuners.context import TuneContext
from tuners.disk_common import per_device
from tuners.system.disk import queue_file

EXPECTED = 2
# rpk's `rpk redpanda tune help` text for this tuner, as rpk prints it
HELP = """
Disables merging adjacent IO requests, which would require checking outstanding
IO requests to batch them where possible, incurring in some CPU overhead.
"""


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
