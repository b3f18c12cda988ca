"""cpu: the 'performance' frequency governor on every policy and no turbo boost; with
--reboot-allowed also the kernel command line that keeps CPUs out of deep C-states."""

from __future__ import annotations

import re
import shutil

from tuners.base import Checker, Severity, TunerError, equality_checker
from tuners.checked import AggregatedTunable, CheckedTunable
from tuners.common import file_tunable, writable
from tuners.context import TuneContext
from tuners.executors.commands import BackupFile, HostCommand, WriteFile
from tuners.fs import RootFs, in_container
from tuners.system.cpu import cpufreq_policies

GOVERNOR = "performance"
BOOST = "/sys/devices/system/cpu/cpufreq/boost"
MAX_CSTATE = "/sys/module/intel_idle/parameters/max_cstate"
SCALING_DRIVER = "/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver"
GRUB_DEFAULTS = "/etc/default/grub"
GRUB_KEY = "GRUB_CMDLINE_LINUX"
# rpk's `rpk redpanda tune help` text for this tuner, as rpk prints it
HELP = """
This tuner optimizes CPU settings to achieve best performance
in I/O intensive workloads. It sets the GRUB kernel boot options and CPU governor.
After this tuner execution system CPUs will operate with maximum
'non turbo' frequency.

This tuner performs the following operations:

- Disable Hyper Threading
- Sets the ACPI-cpufreq governor to ‘performance’

Additionally if system reboot is allowed:
- Disable Hyper Threading via Kernel boot parameter
- Disable Intel P-States
- Disable Intel C-States
- Disable Turbo Boost

Important: If '--reboot-allowed' flag is passed as an option, it is required
to reboot the system after first pass of this tuner"""


def _targets(fs: RootFs) -> list[tuple[Checker, str, str]]:
    """(checker, file, value to write) for every governor and for turbo boost."""
    targets = []
    for policy in cpufreq_policies(fs):
        name, path = policy.rsplit("/", 1)[1], f"{policy}/scaling_governor"
        checker = equality_checker(
            f"cpu_governor_{name}", f"CPU governor of {name}", GOVERNOR, lambda p=path: fs.read(p)
        )
        targets.append((checker, path, GOVERNOR))
    if fs.exists(BOOST):
        boost = equality_checker("cpu_boost", "CPU turbo boost", 0, lambda: fs.read_int(BOOST))
        targets.append((boost, BOOST, "0"))
    return targets


def governor_checkers(fs: RootFs) -> list[Checker]:
    return [checker for checker, _, _ in _targets(fs)]


def required_kernel_args(fs: RootFs) -> list[str]:
    args = []
    if fs.read_or(MAX_CSTATE, "0") not in ("0", ""):
        args += ["intel_idle.max_cstate=0", "processor.max_cstate=1"]
    if fs.read_or(SCALING_DRIVER, "") == "intel_pstate":
        args.append("intel_pstate=disable")
    return args


def grub_cmdline(text: str) -> str:
    for line in text.splitlines():
        match = re.match(rf"^\s*{GRUB_KEY}=(['\"]?)(.*?)\1\s*$", line)
        if match:
            return match.group(2)
    return ""


def with_kernel_args(text: str, args: list[str]) -> str:
    current = grub_cmdline(text).split()
    merged = " ".join(current + [a for a in args if a not in current])
    lines = [ln for ln in text.splitlines() if not re.match(rf"^\s*{GRUB_KEY}=", ln)]
    return "\n".join([*lines, f'{GRUB_KEY}="{merged}"']) + "\n"


def _grub_tunable(ctx: TuneContext, args: list[str]) -> CheckedTunable:
    fs = ctx.fs

    def missing() -> str:
        present = grub_cmdline(fs.read_or(GRUB_DEFAULTS, "")).split()
        return " ".join(a for a in args if a not in present) or "none"

    checker = Checker(
        "grub_cmdline",
        "Kernel command line args missing (GRUB)",
        Severity.WARNING,
        "none",
        missing,
        lambda v: v == "none",
    )

    def act(executor) -> bool:
        executor.execute(BackupFile(GRUB_DEFAULTS))
        executor.execute(WriteFile(GRUB_DEFAULTS, with_kernel_args(fs.read(GRUB_DEFAULTS), args)))
        executor.execute(HostCommand(_grub_update_argv(fs)))
        return True  # the new command line takes effect after a reboot

    return CheckedTunable([checker], act, ctx.executor, writable(fs, GRUB_DEFAULTS))


def _grub_update_argv(fs: RootFs) -> tuple[str, ...]:
    if shutil.which("update-grub") or not fs.is_host:
        return ("update-grub",)
    if shutil.which("grub2-mkconfig"):
        target = (
            "/boot/efi/EFI/fedora/grub.cfg"
            if fs.exists("/boot/efi/EFI/fedora")
            else "/boot/grub2/grub.cfg"
        )
        return ("grub2-mkconfig", "-o", target)
    raise TunerError("neither update-grub nor grub2-mkconfig was found to apply the GRUB change")


def build(ctx: TuneContext):
    fs = ctx.fs
    children: list = [file_tunable(ctx, c, path, value) for c, path, value in _targets(fs)]
    if ctx.params.reboot_allowed:
        args = required_kernel_args(fs)
        if args:
            children.insert(0, _grub_tunable(ctx, args))
    reason = ""
    if not cpufreq_policies(fs):
        where = " (running in a container)" if in_container(fs) else ""
        reason = f"CPU frequency scaling (cpufreq) is not exposed on this host{where}"
    return AggregatedTunable(children, unsupported_reason=reason)
