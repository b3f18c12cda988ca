"""fstrim: a weekly fstrim timer, so SSDs learn which blocks are free."""

from __future__ import annotations

import shutil
import subprocess

from tuners.base import Checker, Severity
from tuners.checked import CheckedTunable
from tuners.context import TuneContext
from tuners.executors.commands import HostCommand, systemd_unit
from tuners.fs import RootFs, in_container

SYSTEM_TIMER = "fstrim.timer"
OWN_SERVICE = "ailurus-fstrim.service"
OWN_TIMER = "ailurus-fstrim.timer"
SYSTEMD_RUNTIME = "/run/systemd/system"
# rpk's `rpk redpanda tune help` text for this tuner, as rpk prints it
HELP = """
Will start the default 'fstrim' systemd service, which runs in the background on
a weekly basis and "trims" or "wipes" blocks which are not in use by the
filesystem. If the current OS doesn't have an 'fstrim' service by default, the
tuner will install an equivalent one and start it. If systemd isn't available at
all, it will do nothing.

This is desirable for SSDs - the recommended storage drive for Redpanda - because
they require wiping the space where new data will be written. Over time this can
significantly degrade the drive's performance because once free space starts
becoming scarce, subsequent writes will trigger a synchronous erasure to be able
to write the new data.

For more information see 'man fstrim'.
"""

SERVICE_UNIT = """[Unit]
Description=Discard unused blocks on filesystems from /etc/fstab (Ailurus)
Documentation=man:fstrim(8)
ConditionVirtualization=!container

[Service]
Type=oneshot
ExecStart=/sbin/fstrim --fstab --verbose --quiet
ProtectSystem=strict
ProtectHome=yes
PrivateDevices=no
PrivateNetwork=yes
PrivateUsers=no
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
"""

TIMER_UNIT = f"""[Unit]
Description=Discard unused blocks once a week (Ailurus)
Documentation=man:fstrim(8)

[Timer]
OnCalendar=weekly
AccuracySec=1h
Persistent=true
Unit={OWN_SERVICE}

[Install]
WantedBy=timers.target
"""


def unit_property(unit: str, prop: str) -> str:
    done = subprocess.run(
        ["systemctl", "show", "--property", prop, "--value", unit],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def active_timer() -> str:
    for unit in (SYSTEM_TIMER, OWN_TIMER):
        if unit_property(unit, "ActiveState") == "active":
            return unit
    return "none"


def unsupported_reason(fs: RootFs) -> str:
    if not fs.is_host:
        return f"fstrim tuning drives the host's systemd and needs root '/', not {fs.root}"
    if not fs.isdir(SYSTEMD_RUNTIME):
        where = " (running in a container)" if in_container(fs) else ""
        return f"systemd is not running on this host{where}"
    for program in ("systemctl", "fstrim"):
        if not shutil.which(program):
            return f"'{program}' was not found in PATH"
    return ""


def checker(fs: RootFs) -> Checker:
    def read() -> str:
        reason = unsupported_reason(fs)
        if reason:
            raise OSError(reason)
        return active_timer()

    return Checker(
        "fstrim",
        "Fstrim systemd service and timer active",
        Severity.WARNING,
        f"{SYSTEM_TIMER} or {OWN_TIMER}",
        read,
        lambda v: v != "none",
    )


def install_commands(system_timer_loaded: bool) -> list:
    """Start the distribution's timer, or install and start our own."""
    if system_timer_loaded:
        return [HostCommand(("systemctl", "start", SYSTEM_TIMER))]
    return [
        *systemd_unit(OWN_SERVICE, SERVICE_UNIT),
        *systemd_unit(OWN_TIMER, TIMER_UNIT),
        HostCommand(("systemctl", "start", OWN_TIMER)),
    ]


def build(ctx: TuneContext):
    fs = ctx.fs

    def supported() -> tuple[bool, str]:
        reason = unsupported_reason(fs)
        return (not reason), reason

    def act(executor) -> None:
        loaded = unit_property(SYSTEM_TIMER, "LoadState") == "loaded"
        for command in install_commands(loaded):
            executor.execute(command)

    return CheckedTunable([checker(fs)], act, ctx.executor, supported)
