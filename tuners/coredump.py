"""coredump: pipe core dumps to a script that stores them in rpk.coredump_dir."""

from __future__ import annotations

import shlex

from tuners.base import Checker, Severity, equality_checker
from tuners.checked import CheckedTunable
from tuners.common import all_of, writable
from tuners.config import section
from tuners.context import TuneContext
from tuners.executors.commands import MakeDirs, WriteFile
from tuners.fs import RootFs

CORE_PATTERN = "/proc/sys/kernel/core_pattern"
SCRIPT_DIR = "/var/lib/redpanda"
SCRIPT = f"{SCRIPT_DIR}/save_coredump"
PATTERN = f"|{SCRIPT} %e %t %p"
HELP = (
    "Makes the kernel pipe core dumps to a script that saves them, named after the command, "
    "time and PID, under rpk.coredump_dir."
)


def save_script(coredump_dir: str) -> str:
    return "\n".join(
        [
            "#!/bin/bash",
            "# Called by the kernel (kernel.core_pattern) with: command, unix time, pid.",
            'command="${1}"',
            'seconds="${2}"',
            'pid="${3}"',
            f"core_dir={shlex.quote(coredump_dir)}",  # any name, as one literal word
            'mkdir -p "${core_dir}"',
            'core_file="${core_dir}/core.${command}-$(date -u -d "@${seconds}" +%Y%m%dT%H%M%S)-${pid}"',
            'logger -p user.err "saving ${command} core dump to ${core_file}"',
            'cat - > "${core_file}"',
            "",
        ]
    )


def coredump_dir(config: dict) -> str:
    return str(section(config, "rpk").get("coredump_dir") or "")


def build(ctx: TuneContext):
    fs, directory = ctx.fs, coredump_dir(ctx.config)
    script = save_script(directory)
    checkers = [
        equality_checker("core_pattern", "Core pattern", PATTERN, lambda: fs.read(CORE_PATTERN)),
        Checker(
            "coredump_script",
            "Core dump script installed",
            Severity.WARNING,
            SCRIPT,
            lambda: "present" if _script_matches(fs, script) else "missing or outdated",
            lambda v: v == "present",
        ),
    ]

    def dir_configured() -> tuple[bool, str]:
        if directory.startswith("/"):
            return True, ""
        return False, "rpk.coredump_dir must be an absolute path when tune_coredump is enabled"

    def act(executor) -> None:
        executor.execute(MakeDirs(SCRIPT_DIR))
        executor.execute(WriteFile(SCRIPT, script, 0o777))
        executor.execute(WriteFile(CORE_PATTERN, PATTERN))

    return CheckedTunable(
        checkers, act, ctx.executor, all_of(dir_configured, writable(fs, CORE_PATTERN))
    )


def _script_matches(fs: RootFs, script: str) -> bool:
    return fs.read_or(SCRIPT, "") == script.strip()
