"""ballast_file: a pre-allocated file that can be deleted to free space when the disk is full."""

from __future__ import annotations

import os

from tuners.base import Checker, Severity
from tuners.checked import CheckedTunable
from tuners.config import DEFAULT_BALLAST_PATH, DEFAULT_BALLAST_SIZE, section
from tuners.context import TuneContext
from tuners.executors.commands import MakeDirs, SizedFile
from tuners.fs import RootFs
from tuners.units import parse_size_bytes

HELP = (
    "Creates a ballast file (rpk.ballast_file_path, size rpk.ballast_file_size) that can be "
    "deleted to recover from a full disk."
)


def ballast_settings(config: dict) -> tuple[str, int]:
    rpk = section(config, "rpk")
    path = str(rpk.get("ballast_file_path") or DEFAULT_BALLAST_PATH)
    return path, parse_size_bytes(rpk.get("ballast_file_size") or DEFAULT_BALLAST_SIZE)


def _size_bytes(fs: RootFs, path: str) -> int:
    return os.path.getsize(fs.path(path)) if fs.exists(path) else -1


def checker(fs: RootFs, config: dict) -> Checker:
    """`rpk redpanda check`: the ballast file exists."""
    path, _ = ballast_settings(config)
    return Checker(
        "ballast_file",
        "Ballast file present",
        Severity.WARNING,
        path,
        lambda: path if fs.exists(path) else "missing",
        lambda v: v == path,
    )


def build(ctx: TuneContext):
    fs = ctx.fs
    try:
        path, size_bytes = ballast_settings(ctx.config)
    except ValueError as exc:
        reason = f"rpk.ballast_file_size: {exc}"
        return CheckedTunable([], lambda ex: None, ctx.executor, lambda: (False, reason))
    sized = Checker(
        "ballast_file_size",
        "Ballast file size [bytes]",
        Severity.WARNING,
        str(size_bytes),
        lambda: _size_bytes(fs, path),
        lambda v: v == size_bytes,
    )

    def act(executor) -> None:
        executor.execute(MakeDirs(os.path.dirname(path)))
        executor.execute(SizedFile(path, size_bytes))

    return CheckedTunable([sized], act, ctx.executor)
