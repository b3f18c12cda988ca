"""clocksource: use the TSC, the cheapest clock to read, where the CPU offers it."""

from __future__ import annotations

from tuners.base import Checker, equality_checker
from tuners.common import all_of, file_tunable, writable
from tuners.context import TuneContext
from tuners.fs import RootFs

BASE = "/sys/devices/system/clocksource/clocksource0"
CURRENT = f"{BASE}/current_clocksource"
AVAILABLE = f"{BASE}/available_clocksource"
PREFERRED = "tsc"
TSC_MACHINES = ("x86_64", "amd64", "i386", "i686")
# rpk's `rpk redpanda tune help` text for this tuner, as rpk prints it
HELP = """
Sets the clock source to TSC (Time Stamp Counter) to get the time more
efficiently via the Virtual Dynamic Shared Object. Most VMs run on Xen, with
'xen' as the default clock source, which doesn't support reading the time in
userspace via the vDSO, requiring making an actual syscall with the overhead it
entails.
"""


def checker(fs: RootFs) -> Checker:
    return equality_checker("clocksource", "Clock Source", PREFERRED, lambda: fs.read(CURRENT))


def build(ctx: TuneContext):
    fs = ctx.fs

    def tsc_available() -> tuple[bool, str]:
        if ctx.machine.lower() not in TSC_MACHINES:
            return False, "Clocksource setting not available for this architecture"
        if PREFERRED not in fs.read_or(AVAILABLE, "").split():
            return False, f"Preferred clocksource '{PREFERRED}' not available"
        return True, ""

    return file_tunable(
        ctx, checker(fs), CURRENT, PREFERRED, all_of(tsc_available, writable(fs, CURRENT))
    )
