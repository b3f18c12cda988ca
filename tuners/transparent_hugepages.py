"""transparent_hugepages: THP 'always', fewer TLB misses for large heaps."""

from __future__ import annotations

from tuners.base import Checker, Severity
from tuners.common import all_of, file_tunable, writable
from tuners.context import TuneContext
from tuners.fs import RootFs
from tuners.system.disk import active_choice

DIRS = ("/sys/kernel/mm/transparent_hugepage", "/sys/kernel/mm/redhat_transparent_hugepage")
EXPECTED = "always"
# rpk's `rpk redpanda tune help` text for this tuner, as rpk prints it
HELP = """
Enables Transparent Hugepages. This allows the kernel to index larger pages
(2MB, as opposed to the standard 4KB) in the CPU's TLB (if it supports it, which
is the case for most current CPUs). This results in fewer cache misses, which
means less time is spent searching and loading pages.
"""


def enabled_file(fs: RootFs) -> str:
    for base in DIRS:
        if fs.exists(f"{base}/enabled"):
            return f"{base}/enabled"
    return f"{DIRS[0]}/enabled"


def _active(fs: RootFs) -> str:
    return active_choice(fs.read(enabled_file(fs)))


def tuner_checker(fs: RootFs) -> Checker:
    return Checker(
        "transparent_hugepages",
        "Transparent huge pages always on",
        Severity.WARNING,
        EXPECTED,
        lambda: _active(fs),
        lambda v: v == EXPECTED,
    )


def checker(fs: RootFs) -> Checker:
    """`rpk redpanda check`: anything but 'never' counts as active."""
    return Checker(
        "transparent_hugepages",
        "Transparent huge pages active",
        Severity.WARNING,
        "not never",
        lambda: _active(fs),
        lambda v: v != "never",
    )


def build(ctx: TuneContext):
    fs = ctx.fs

    def present() -> tuple[bool, str]:
        if any(fs.exists(f"{d}/enabled") for d in DIRS):
            return True, ""
        return False, f"None of {', '.join(DIRS)} was found"

    path = enabled_file(fs)
    return file_tunable(ctx, tuner_checker(fs), path, EXPECTED, all_of(present, writable(fs, path)))
