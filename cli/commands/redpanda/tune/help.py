"""`rpk redpanda tune help TUNER`: what a tuner does."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli._help import usage_text
from cli.errors import CommandUsageError
from cli.options import with_globals
from tuners import registry

# The names rpk's `tune help` knows (its help map: `nomerges`, not `disk_nomerges`; none for
# ballast_file, coredump or disk_write_cache); the texts are rpk's, in the tuners' modules (HELP).
HELP_TOPICS = (
    "aio_events",
    "clocksource",
    "cpu",
    "disk_irq",
    "disk_scheduler",
    "fstrim",
    "net",
    "nomerges",
    "swappiness",
    "transparent_hugepages",
)


NAME = "help"


def register(app: typer.Typer) -> None:
    # extra arguments are kept (allow_extra_args) to be counted as rpk's Args counts them
    @app.command(NAME, context_settings={"allow_extra_args": True})
    @with_globals
    def tune_help(
        ctx: typer.Context,
        tuner: Annotated[Optional[str], typer.Argument(show_default=False)] = None,
    ) -> None:
        """Display detailed information about the tuner."""
        names = [*([tuner] if tuner is not None else []), *ctx.args]
        if len(names) != 1:  # rpk's Args: exactly one name it has help for, else a usage error
            raise CommandUsageError("requires the tuner name", usage_text(ctx.command, ctx))
        if names[0] not in HELP_TOPICS:
            raise CommandUsageError(
                f"no help found for tuner '{names[0]}'. Available: {', '.join(HELP_TOPICS)}",
                usage_text(ctx.command, ctx),
            )
        # rpk's Printf("%q tuner description\n%s\n"): its texts start with a newline (and some
        # end with one); the names it has help for need no quoting beyond the double quotes
        typer.echo(f'"{names[0]}" tuner description\n{registry.help_text(names[0])}')
