"""swappiness: vm.swappiness = 1, so the kernel swaps only to avoid running out of memory."""

from __future__ import annotations

from tuners.base import Checker, equality_checker
from tuners.common import sysctl_reader, sysctl_tunable
from tuners.context import TuneContext
from tuners.fs import RootFs

KEY = "vm.swappiness"
EXPECTED = 1
# rpk's `rpk redpanda tune help` text for this tuner, as rpk prints it
HELP = """
Tunes the kernel to keep process data in-memory for as long as possible, instead
of swapping it out to disk.
"""


def checker(fs: RootFs) -> Checker:
    return equality_checker("swappiness", "Swappiness", EXPECTED, sysctl_reader(fs, KEY))


def build(ctx: TuneContext):
    return sysctl_tunable(ctx, checker(ctx.fs), KEY, EXPECTED)
