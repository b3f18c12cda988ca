"""aio_events: fs.aio-max-nr >= 1048576, enough asynchronous I/O contexts for many shards."""

from __future__ import annotations

from tuners.base import Checker, at_least_checker
from tuners.common import sysctl_reader, sysctl_tunable
from tuners.context import TuneContext
from tuners.fs import RootFs

KEY = "fs.aio-max-nr"
MINIMUM = 1048576
# rpk's `rpk redpanda tune help` text for this tuner, as rpk prints it
HELP = """
Increases the maximum number of outstanding asynchronous IO operations if the
current value is below a certain threshold. This allows redpanda to make as many
simultaneous IO requests as possible, increasing throughput.
"""


def checker(fs: RootFs) -> Checker:
    return at_least_checker("aio_events", "Max AIO Events", MINIMUM, sysctl_reader(fs, KEY))


def build(ctx: TuneContext):
    return sysctl_tunable(ctx, checker(ctx.fs), KEY, MINIMUM)
