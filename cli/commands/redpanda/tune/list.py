"""`rpk redpanda tune list`: which tuners are enabled and supported here; executes nothing."""

from __future__ import annotations

import typer

from cli.commands.redpanda.tune.options import (
    CpuSetOpt,
    DirsOpt,
    DisksOpt,
    ModeOpt,
    NicOpt,
    RootOpt,
    build_context,
)
from cli.options import with_globals
from cli.output import format_table
from tuners import registry, run

HELP = """List the available tuners and whether each is enabled and supported on this host.

Tuners are enabled in the rpk section of redpanda.yaml, for example with
'rpk redpanda config set rpk.tune_cpu true', or all at once with 'rpk redpanda mode prod'."""


def register(app: typer.Typer) -> None:
    @app.command("list", help=HELP)
    @with_globals
    def tune_list(
        disks: DisksOpt = [],
        dirs: DirsOpt = [],
        nic: NicOpt = [],
        mode: ModeOpt = "",
        cpu_set: CpuSetOpt = "all",
        root: RootOpt = "/",
    ) -> None:
        ctx = build_context(disks, dirs, nic, mode, cpu_set, root)
        reports = run.describe(ctx, registry.available())
        rows = [
            [r.name, str(r.enabled).lower(), str(r.supported).lower(), r.reason] for r in reports
        ]
        typer.echo(format_table(["TUNER", "ENABLED", "SUPPORTED", "UNSUPPORTED-REASON"], rows))
