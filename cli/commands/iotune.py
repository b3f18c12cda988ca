"""`rpk iotune`: measure the data disks and write io-config.yaml beside redpanda.yaml."""

from __future__ import annotations

import os
import time
from typing import Annotated, Optional

import typer

from cli import options
from cli.errors import CliError
from cli.output import format_table
from tuners.config import DEFAULT_CONFIG_PATH, data_directory, load_config
from tuners.iotune import DiskMeasurement, measure, mountpoint_of, write_io_config
from tuners.units import parse_duration_s

HELP = """Measure the I/O performance of the disks holding the data directories.

The result (read/write IOPS and bandwidth per mountpoint) is written to io-config.yaml,
which the broker uses to schedule its I/O."""


def _directories(given: list[str], config: dict) -> list[str]:
    dirs = [d for value in given for d in value.split(",") if d.strip()]
    if dirs:
        typer.echo(f"Overriding evaluation directories with: [{' '.join(dirs)}]")
        return dirs
    data_dir = data_directory(config)
    if not data_dir:
        raise CliError(
            "no directories to evaluate: set redpanda.data_directory or pass --directories"
        )
    return [data_dir]


def _measure_all(dirs: list[str], duration_s: float, deadline: float) -> list[DiskMeasurement]:
    by_mount: dict[str, str] = {}
    for directory in dirs:
        if not os.path.isdir(directory):
            raise CliError(f"directory {directory} does not exist")
        by_mount.setdefault(mountpoint_of(directory), directory)
    share_s = duration_s / len(by_mount)
    results = []
    for directory in by_mount.values():
        if time.monotonic() > deadline:
            raise CliError("iotune timed out (see --timeout)")
        try:
            results.append(measure(directory, share_s))
        except OSError as exc:
            raise CliError(f"unable to measure {directory}: {exc}") from None
    return results


def _rows(results: list[DiskMeasurement]) -> list[list[str]]:
    return [
        [
            m.mountpoint,
            m.read_iops,
            m.read_bandwidth,
            m.write_iops,
            m.write_bandwidth,
            "direct" if m.direct_io else "buffered+fdatasync",
        ]
        for m in results
    ]


def register(app: typer.Typer) -> None:
    @app.command("iotune", help=HELP)
    @options.with_globals
    def iotune(
        out: Annotated[
            Optional[str],
            typer.Option(
                "--out", help="Where to write io-config.yaml (default: beside redpanda.yaml)."
            ),
        ] = None,
        directories: Annotated[
            list[str],
            typer.Option(
                "--directories",
                help="Directories to evaluate (default: redpanda.data_directory).",
                metavar="strings",
            ),
        ] = [],
        duration: Annotated[
            str,
            typer.Option(
                "--duration",
                help="How long to measure in all (e.g. 10m, 30s; a bare number is seconds).",
                metavar="duration",
            ),
        ] = "10m",
        timeout: Annotated[
            str,
            typer.Option(
                "--timeout",
                help="Extra time allowed beyond --duration before giving up.",
                metavar="duration",
            ),
        ] = "1h",
        no_confirm: Annotated[
            bool, typer.Option("--no-confirm", help="Overwrite an existing file without asking.")
        ] = False,
    ) -> None:
        config_path = options.config_path(DEFAULT_CONFIG_PATH)
        try:
            duration_s, timeout_s = parse_duration_s(duration), parse_duration_s(timeout)
            loaded = load_config(config_path)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        out_path = out or os.path.join(
            os.path.dirname(os.path.abspath(config_path)), "io-config.yaml"
        )
        if os.path.exists(out_path) and not no_confirm:
            if not typer.confirm(f'Overwrite existing configuration file at "{out_path}"?'):
                typer.echo("iotune canceled.")
                return
        dirs = _directories(directories, loaded)
        typer.echo("Starting iotune...")
        results = _measure_all(dirs, duration_s, time.monotonic() + duration_s + timeout_s)
        for m in results:
            if not m.direct_io:
                typer.echo(
                    f"O_DIRECT is not supported on {m.mountpoint}: measured with buffered I/O and fdatasync instead"
                )
        typer.echo(
            format_table(
                [
                    "MOUNTPOINT",
                    "READ-IOPS",
                    "READ-BANDWIDTH",
                    "WRITE-IOPS",
                    "WRITE-BANDWIDTH",
                    "IO",
                ],
                _rows(results),
            )
        )
        try:
            write_io_config(out_path, results)
        except OSError as exc:
            raise CliError(f"unable to write {out_path}: {exc}") from None
        typer.echo(f'IO configuration file stored as "{out_path}"')
