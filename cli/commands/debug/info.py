"""`rpk debug info` (alias status): rpk keeps it, hidden, as a no-op for old scripts, and the
top-level `rpk status` as its deprecated copy."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.options import with_globals


@with_globals
def debug_info(
    send: Annotated[
        bool,
        typer.Option("--send", hidden=True, help="If true, send resource usage data to Redpanda."),
    ] = False,
    timeout: Annotated[
        str,
        typer.Option(
            "--timeout",
            hidden=True,
            help="How long to wait to calculate the Redpanda CPU % utilization.",
        ),
    ] = "2s",
) -> None:
    """Send usage stats to Redpanda Data."""


@with_globals
def status(
    send: Annotated[
        bool,
        typer.Option("--send", hidden=True, help="If true, send resource usage data to Redpanda."),
    ] = False,
    timeout: Annotated[
        str,
        typer.Option(
            "--timeout",
            hidden=True,
            help="How long to wait to calculate the Redpanda CPU % utilization.",
        ),
    ] = "2s",
) -> None:
    """Send usage stats to Redpanda Data."""
    typer.echo('Command "status" is deprecated, use "rpk debug info" instead', err=True)


def register(app: typer.Typer, root: typer.Typer) -> None:
    app.command("info", hidden=True)(debug_info)
    app.command("status", hidden=True)(debug_info)
    root.command("status", hidden=True)(status)
