"""`rpk version`."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as pkg_version

import typer


def register(app: typer.Typer) -> None:
    @app.command("version", help="Prints the current rpk and Ailurus version.")
    def version_cmd() -> None:
        try:
            v = pkg_version("ailurus")
        except PackageNotFoundError:
            v = "dev"
        typer.echo(f"rpk (ailurus) v{v}")
