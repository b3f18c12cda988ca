"""aio_events: fs.aio-max-nr >= 1048576, enough asynchronous I/O contexts for many shards."""

from __future__ import annotations

from tuners.base import Checker, at_least_checker
from tuners.common import sysctl_reader, sysctl_tunable
from tuners.context import TuneContext
from tuners.fs import RootFs

KEY = "fs.aio-max-nr"
MINIMUM = 1048576
HELP = (
    "Maximizes throughput by raising the number of simultaneous asynchronous I/O requests "
    f"the kernel allows (fs.aio-max-nr >= {MINIMUM})."
)


def checker(fs: RootFs) -> Checker:
    return at_least_checker("aio_events", "Max AIO Events", MINIMUM, sysctl_reader(fs, KEY))


def build(ctx: TuneContext):
    return sysctl_tunable(ctx, checker(ctx.fs), KEY, MINIMUM)
