"""`rpk redpanda tune help TUNER`: what a tuner does."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.errors import CliError
from cli.options import with_globals
from tuners import registry


def register(app: typer.Typer) -> None:
    @app.command("help", help="Display detailed information about a tuner.")
    @with_globals
    def tune_help(tuner: Annotated[str, typer.Argument(help="The tuner to describe.")]) -> None:
        try:
            text = registry.help_text(tuner)
        except KeyError as exc:
            raise CliError(exc.args[0]) from None
        typer.echo(f'"{tuner}" tuner description')
        typer.echo(text)
