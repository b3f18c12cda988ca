"""`rpk redpanda tune <all | tuner...>`: apply the enabled tuners, or render them as a script."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Annotated, Optional

import typer

from cli._help import ArgumentCommand
from cli.commands.redpanda.tune.options import (
    CpuSetOpt,
    DirsOpt,
    DisksOpt,
    ModeOpt,
    NicOpt,
    RebootOpt,
    RootOpt,
    build_context,
)
from cli.config.values import parse_duration
from cli.errors import CliError, FlagError, PartialFailure, UsageError
from cli.options import with_globals
from cli.output import format_table
from tuners import registry, run
from tuners.executors import DirectExecutor, Executor, ScriptRenderingExecutor
from tuners.fs import RootFs

ALL = "all"
ALL_DISABLED = (
    "All tuners were disabled, so none were applied. You may run `rpk redpanda mode prod` "
    "to enable the recommended set of tuners for non-containerized production use."
)
# the other tuners of a comma-separated first argument (TuneGroup.resolve_command splits it)
MoreOpt = Annotated[
    Optional[list[str]], typer.Argument(help="More tuners to run.", show_default=False)
]
TimeoutOpt = Annotated[
    str,
    typer.Option(
        "--timeout",
        help="The maximum time to wait for the tune processes to complete (e.g. 300ms, 1.5s,"
        " 2h45m)",
        metavar="duration",
    ),
]
ScriptOpt = Annotated[
    Optional[str],
    typer.Option(
        "--output-script",
        help="If a filename is provided, it will generate a tuning file that can later be used"
        " to tune the system",
    ),
]
INTERACTIVE_DEPRECATED = (
    "not needed: tune will use default configuration if config file is not found."
)


def _interactive_deprecated(value: bool) -> bool:
    """pflag's MarkDeprecated: hidden from help, a warning on stderr when it is given."""
    if value:  # a flag without a value or an environment variable: True only when given
        typer.echo(f"Flag --interactive has been deprecated, {INTERACTIVE_DEPRECATED}", err=True)
    return value


InteractiveOpt = Annotated[
    bool,
    typer.Option(
        "--interactive",
        help="Ask for confirmation on every step (e.g. configuration generation)",
        hidden=True,
        callback=_interactive_deprecated,
    ),
]


def requested_tuners(first: str, more: list[str] | None) -> list[str]:
    """The tuners of tune's first argument (TuneGroup.resolve_command split and checked it): all
    of them for `all`, else each name as given, a repeated one included (rpk tunes it again)."""
    if first == ALL:
        return registry.available()
    names = [first, *(more or [])]
    for name in names:
        if name not in registry.TUNERS:
            raise CliError(invalid_tuner_message(",".join(names)))
    return names


GO_DURATION_UNITS = frozenset({"ns", "us", "µs", "μs", "ms", "s", "m", "h"})


def timeout_seconds(text: str) -> float:
    """--timeout as pflag's DurationVar parses it (Go's time.ParseDuration), in seconds."""
    try:
        return parse_duration(text)
    except UsageError:
        raise FlagError(
            f'invalid argument "{text}" for "--timeout" flag: time: {_go_duration_error(text)}'
        ) from None


def _go_duration_error(text: str) -> str:
    """Go's time.ParseDuration error text for a duration it refuses."""
    body = text[1:] if text[:1] in "+-" else text
    parts = re.findall(r"(\d+\.?\d*|\.\d+)([^\d.]*)", body)
    if body and "".join(n + u for n, u in parts) == body:
        for _, unit in parts:
            if not unit:
                return f'missing unit in duration "{text}"'
            if unit not in GO_DURATION_UNITS:
                return f'unknown unit "{unit}" in duration "{text}"'
    return f'invalid duration "{text}"'


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
    timeout_s = timeout_seconds(timeout)
    factory: Callable[[RootFs], Executor]
    if output_script:
        if os.path.isdir(output_script):
            raise CliError("please use a filename instead of a directory name in --output-script")
        factory = lambda fs: ScriptRenderingExecutor(fs, output_script)
    else:
        factory = lambda fs: DirectExecutor(fs, command_timeout_s=timeout_s)
    ctx = build_context(disks, dirs, nic, mode, cpu_set, root, factory, reboot_allowed)
    reports = run.run(ctx, names)  # --timeout bounds each command a tuner runs, as in rpk
    if not any(r.enabled for r in reports):
        typer.echo(ALL_DISABLED)  # then the table, as rpk prints it
    typer.echo(format_table(*report_rows(reports)))
    if any(r.reboot_required for r in reports):  # rpk names every tuner it was asked to run
        typer.echo(f"IMPORTANT: Reboot system and run 'rpk redpanda tune {','.join(names)}' again")
    if run.exit_failed(reports):  # rpk: exit 1, the table said it all
        raise PartialFailure()


def register_tuner_commands(app: typer.Typer) -> None:
    for name in [ALL, *registry.available()]:
        # Hidden: rpk lists only `help` and `list` (it takes the tuners as arguments)
        app.command(name, help=_help_for(name), hidden=True, cls=ArgumentCommand)(
            with_globals(_command_for(name))
        )


def _help_for(name: str) -> str:
    # never shown: a tuner's help is tune's (ArgumentCommand)
    return "Run every tuner." if name == ALL else f"Run the {name} tuner."


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
        interactive: InteractiveOpt = False,  # deprecated in rpk, and does nothing there either
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
