"""`rpk redpanda mode <development|production|recovery>`."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import options
from cli.commands.redpanda._yaml import resolve_mode, set_mode
from cli.config import redpanda_yaml
from cli.options import with_globals


@with_globals
def redpanda_mode(
    mode: Annotated[
        str,
        typer.Argument(help="development (dev), production (prod) or recovery; any prefix works."),
    ],
) -> None:
    """Enable a default configuration mode: development, production or recovery."""
    resolved = resolve_mode(mode)
    path = redpanda_yaml.write_target(options.current().config)
    doc = redpanda_yaml.load_or_default(path)
    set_mode(doc, resolved)
    redpanda_yaml.save(path, doc)
    typer.echo(f'Successfully set mode to "{mode}".')


def register(app: typer.Typer, hidden: bool = False) -> None:
    app.command("mode", hidden=hidden)(redpanda_mode)
