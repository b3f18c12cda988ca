"""Flags shared by `rpk redpanda tune` and `tune list`, and turning them into a TuneContext."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import options
from cli.errors import CliError
from tuners.config import DEFAULT_CONFIG_PATH, load_config
from tuners.context import TuneContext, TuneParams
from tuners.executors import DirectExecutor, Executor
from tuners.fs import RootFs

DisksOpt = Annotated[
    list[str],
    typer.Option(
        "--disks", "-d", help="Devices to tune (comma-separated or repeated).", metavar="strings"
    ),
]
DirsOpt = Annotated[
    list[str],
    typer.Option(
        "--dirs",
        "-r",
        help="Directories whose devices to tune (default: redpanda.data_directory).",
        metavar="strings",
    ),
]
NicOpt = Annotated[
    list[str],
    typer.Option(
        "--nic",
        "-n",
        help="Network interfaces to tune (default: those of the listeners).",
        metavar="strings",
    ),
]
ModeOpt = Annotated[
    str, typer.Option("--mode", "-m", help="IRQ mode: sq, sq_split or mq (default: computed).")
]
CpuSetOpt = Annotated[
    str, typer.Option("--cpu-set", help="CPUs to use, cpuset(7) syntax, or 'all'.")
]
RootOpt = Annotated[
    str,
    typer.Option(
        "--root",
        help="Tune the filesystem tree mounted here instead of / (host-wide commands are then skipped).",
    ),
]


def split_list(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def build_context(
    disks: list[str],
    dirs: list[str],
    nics: list[str],
    mode: str,
    cpu_set: str,
    root: str,
    executor_factory=None,
    reboot_allowed: bool = False,
) -> TuneContext:
    disks, dirs, nics = split_list(disks), split_list(dirs), split_list(nics)
    config_path = options.current().config  # rpk's global --config: the redpanda.yaml to read
    if config_path and (disks or dirs or nics or mode):
        raise CliError("use either tuner params or redpanda config file")
    try:
        config = load_config(str(config_path or DEFAULT_CONFIG_PATH))
        params = TuneParams(disks, dirs, nics, cpu_set, mode, reboot_allowed)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    fs = RootFs(root)
    executor: Executor = executor_factory(fs) if executor_factory else DirectExecutor(fs)
    return TuneContext(fs, executor, config, params)
