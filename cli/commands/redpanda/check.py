"""`rpk redpanda check`: run the system checkers and print rpk's table."""

from __future__ import annotations

import concurrent.futures
from typing import Annotated

import typer

from cli import options
from cli.errors import CliError
from cli.output import format_table
from tuners.check import run_checks
from tuners.config import DEFAULT_CONFIG_PATH, load_config
from tuners.units import parse_duration_s

HEADERS = ["CONDITION", "REQUIRED", "CURRENT", "SEVERITY", "PASSED"]


def result_rows(results) -> list[list[str]]:
    return [
        [
            r.description,
            r.required,
            r.current or f"error: {r.error}",
            str(r.severity),
            str(r.ok).lower(),
        ]
        for r in results
    ]


def register(app: typer.Typer, hidden: bool = False) -> None:
    @app.command(
        "check", help="Check if the system meets the requirements to run Ailurus.", hidden=hidden
    )
    @options.with_globals
    def check(
        timeout: Annotated[
            str,
            typer.Option(
                "--timeout", help="How long the checks may take (e.g. 2s).", metavar="duration"
            ),
        ] = "2s",
        root: Annotated[
            str, typer.Option("--root", help="Check the filesystem tree mounted here instead of /.")
        ] = "/",
    ) -> None:
        config_path = options.config_path(DEFAULT_CONFIG_PATH)
        try:
            timeout_s = parse_duration_s(timeout)
            loaded = load_config(config_path)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        try:
            results = pool.submit(run_checks, loaded, root, config_path).result(timeout=timeout_s)
        except concurrent.futures.TimeoutError:
            raise CliError(f"the system checks did not finish within {timeout}") from None
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        typer.echo("\nSystem check results")  # rpk prints this line, then flushes the table
        typer.echo(format_table(HEADERS, result_rows(results)))  # failed items: rpk exits 0
