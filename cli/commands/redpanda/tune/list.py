"""`rpk redpanda tune list`: which tuners are enabled and supported here; executes nothing."""

from __future__ import annotations

import typer

from cli._help import usage_text
from cli.commands.redpanda.tune.options import (
    DirsOpt,
    DisksOpt,
    ModeOpt,
    NicOpt,
    RebootOpt,
    RootOpt,
    build_context,
)
from cli.errors import CommandUsageError
from cli.options import with_globals
from cli.output import format_table
from tuners import registry, run

# rpk's Long, as it prints it (the first line ends with a space)
HELP = (
    "List available redpanda tuners and check if they are enabled and \n"
    """supported by your system

To enable a tuner it must be set in the redpanda.yaml configuration file
under rpk section, e.g:

  rpk:
      tune_cpu: true
      tune_swappiness: true

You may use 'rpk redpanda config set' to enable or disable a tuner."""
)


NAME = "list"


def register(app: typer.Typer) -> None:
    # extra arguments are kept (allow_extra_args) to be refused as rpk's ExactArgs(0) words it
    @app.command(NAME, help=HELP, context_settings={"allow_extra_args": True})
    @with_globals
    def tune_list(
        ctx: typer.Context,
        disks: DisksOpt = [],
        dirs: DirsOpt = [],
        nic: NicOpt = [],
        mode: ModeOpt = "",
        reboot_allowed: RebootOpt = False,
        root: RootOpt = "/",
    ) -> None:
        if ctx.args:
            raise CommandUsageError(
                f"accepts 0 arg(s), received {len(ctx.args)}", usage_text(ctx.command, ctx)
            )
        # rpk checks support with every CPU ("all") and with the params as given (no --config
        # exclusion); --reboot-allowed reaches the tuners, whose support checks ignore it
        tune_ctx = build_context(
            disks, dirs, nic, mode, "all", root, reboot_allowed=reboot_allowed, exclusive=False
        )
        reports = run.describe(tune_ctx, registry.available())
        rows = [
            [r.name, str(r.enabled).lower(), str(r.supported).lower(), r.reason] for r in reports
        ]
        typer.echo(format_table(["TUNER", "ENABLED", "SUPPORTED", "UNSUPPORTED-REASON"], rows))
