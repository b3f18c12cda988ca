"""`rpk generate`: generate configuration templates and related files."""

from __future__ import annotations

import typer

from cli._app import new_group
from cli.commands.generate import grafana, prometheus, shell_completion


def register(root: typer.Typer) -> None:
    app = new_group("generate", "Generate a configuration template for related services.")
    shell_completion.register(app)
    prometheus.register(app)
    grafana.register(app)
    root.add_typer(app, name="generate")
