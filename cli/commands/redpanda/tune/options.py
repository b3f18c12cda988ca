"""Flags shared by `rpk redpanda tune` and `tune list`, and turning them into a TuneContext."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import options
from cli.config import redpanda_yaml
from cli.errors import CliError
from tuners.config import DEFAULT_CONFIG_PATH, load_config
from tuners.context import TuneContext, TuneParams
from tuners.executors import DirectExecutor, Executor
from tuners.fs import RootFs

# The flags and usage texts of rpk's addTunerParamsFlags (tune and tune list), then tune's own.
DisksOpt = Annotated[
    list[str],
    typer.Option("--disks", "-d", help="Lists of devices to tune f.e. 'sda1'", metavar="strings"),
]
DirsOpt = Annotated[
    list[str],
    typer.Option(
        "--dirs",
        "-r",
        help="List of *data* directories or places to store data (e.g. /var/vectorized/redpanda/);"
        " usually your XFS filesystem on an NVMe SSD device",
        metavar="strings",
    ),
]
NicOpt = Annotated[
    list[str],
    typer.Option("--nic", "-n", help="Network Interface Controllers to tune", metavar="strings"),
]
ModeOpt = Annotated[
    str, typer.Option("--mode", "-m", help="Operation Mode: one of: [sq, sq_split, mq]")
]
RebootOpt = Annotated[
    bool,
    typer.Option(
        "--reboot-allowed", help="Allow tuners to tune boot parameters and request system reboot"
    ),
]
CpuSetOpt = Annotated[
    str,
    typer.Option(
        "--cpu-set",
        help="Set of CPUs for tuners to use in cpuset(7) format; if not specified, tuners will"
        " use all available CPUs",
    ),
]
# Ours, not rpk's (hidden): tune the filesystem tree mounted at this path instead of /
RootOpt = Annotated[str, typer.Option("--root", hidden=True)]


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
    exclusive: bool = True,
) -> TuneContext:
    """`exclusive`: refuse tuner params with --config, as `rpk redpanda tune` does (not list)."""
    disks, dirs, nics = split_list(disks), split_list(dirs), split_list(nics)
    config_path = options.current().config  # rpk's global --config: the redpanda.yaml to read
    # rpk's tunerParamsEmpty: --mode is not one of the params that exclude --config
    if exclusive and config_path and (disks or dirs or nics):
        raise CliError("use either tuner params or redpanda config file")
    try:
        # rpk's search: --config, else $PWD/redpanda.yaml, else /etc/redpanda/redpanda.yaml
        config = load_config(str(redpanda_yaml.find_path(config_path) or DEFAULT_CONFIG_PATH))
        params = TuneParams(disks, dirs, nics, cpu_set, mode, reboot_allowed)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    fs = RootFs(root)
    executor: Executor = executor_factory(fs) if executor_factory else DirectExecutor(fs)
    return TuneContext(fs, executor, config, params)
