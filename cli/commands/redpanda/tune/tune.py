"""`rpk redpanda tune <all | tuner...>`: apply the enabled tuners, or render them as a script."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli.commands.redpanda.tune.options import (
    CpuSetOpt,
    DirsOpt,
    DisksOpt,
    ModeOpt,
    NicOpt,
    RootOpt,
    build_context,
    split_list,
)
from cli.errors import CliError
from cli.options import with_globals
from cli.output import format_table
from tuners import registry, run
from tuners.executors import DirectExecutor, ScriptRenderingExecutor
from tuners.units import parse_duration_s

ALL = "all"
ALL_DISABLED = (
    "All tuners were disabled, so none were applied. You may run `rpk redpanda mode prod` "
    "to enable the recommended set of tuners for non-containerized production use."
)
MoreOpt = Annotated[
    Optional[list[str]], typer.Argument(help="More tuners to run.", show_default=False)
]
RebootOpt = Annotated[
    bool, typer.Option("--reboot-allowed", help="Allow tuners that need a reboot (GRUB changes).")
]
TimeoutOpt = Annotated[
    str,
    typer.Option(
        "--timeout", help="How long tuning may take in all (e.g. 10s, 1m).", metavar="duration"
    ),
]
ScriptOpt = Annotated[
    Optional[str],
    typer.Option(
        "--output-script", help="Write a bash script with the changes instead of applying them."
    ),
]


def requested_tuners(first: str, more: list[str] | None) -> list[str]:
    names = split_list([first, *(more or [])])
    if ALL in names:
        return registry.available()
    for name in names:
        if name not in registry.TUNERS:
            raise CliError(invalid_tuner_message(name))
    return sorted(set(names))


def invalid_tuner_message(name: str) -> str:
    return f"invalid element to tune '{name}' only [{' '.join(registry.available())}] are supported"


def report_rows(reports: list[run.TunerReport]) -> tuple[list[str], list[list[str]]]:
    with_error = any(r.error or not r.supported for r in reports)
    headers = ["TUNER", "APPLIED", "ENABLED", "SUPPORTED", *(["ERROR"] if with_error else [])]
    rows = []
    for r in reports:
        row = [r.name, str(r.applied).lower(), str(r.enabled).lower(), str(r.supported).lower()]
        if with_error:
            row.append(r.error or (r.reason if not r.supported else ""))
        rows.append(row)
    return headers, rows


def tune(
    first: str,
    more,
    disks,
    dirs,
    nic,
    mode,
    cpu_set,
    root,
    reboot_allowed,
    timeout,
    output_script,
) -> None:
    names = requested_tuners(first, more)
    try:
        timeout_s = parse_duration_s(timeout)
    except ValueError as exc:
        raise CliError(f"--timeout: {exc}") from None
    if output_script:
        factory = lambda fs: ScriptRenderingExecutor(fs, output_script)
    else:
        factory = lambda fs: DirectExecutor(fs, command_timeout_s=timeout_s)
    ctx = build_context(disks, dirs, nic, mode, cpu_set, root, factory, reboot_allowed)
    reports = run.run(ctx, names, timeout_s)
    if not any(r.enabled for r in reports):
        typer.echo(ALL_DISABLED)
        return
    typer.echo(format_table(*report_rows(reports)))
    rebooting = [r.name for r in reports if r.reboot_required]
    if rebooting:
        typer.echo(
            f"IMPORTANT: Reboot system and run 'rpk redpanda tune {','.join(rebooting)}' again"
        )
    failed = [r.name for r in reports if r.failed]
    if failed:
        raise CliError(f"tuning did not succeed for: {', '.join(failed)}")


def register_tuner_commands(app: typer.Typer) -> None:
    for name in [ALL, *registry.available()]:
        # Hidden: rpk lists only `help` and `list` (it takes the tuners as arguments)
        app.command(name, help=_help_for(name), hidden=True)(with_globals(_command_for(name)))


def _help_for(name: str) -> str:
    if name == ALL:
        return "Run every tuner enabled in redpanda.yaml."
    return f"Run the {name} tuner (more tuners may follow). {registry.help_text(name)}"


def _command_for(first: str):
    def tune_command(
        more: MoreOpt = None,
        disks: DisksOpt = [],
        dirs: DirsOpt = [],
        nic: NicOpt = [],
        mode: ModeOpt = "",
        cpu_set: CpuSetOpt = "all",
        root: RootOpt = "/",
        reboot_allowed: RebootOpt = False,
        timeout: TimeoutOpt = "10s",
        output_script: ScriptOpt = None,
    ) -> None:
        tune(
            first,
            more,
            disks,
            dirs,
            nic,
            mode,
            cpu_set,
            root,
            reboot_allowed,
            timeout,
            output_script,
        )

    tune_command.__name__ = f"tune_{first}"
    return tune_command
