"""Flags and helpers shared by the user subcommands."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.errors import UsageError
from cli.options import FORMAT_HELP

MECHANISMS = {"scram-sha-256": "SCRAM-SHA-256", "scram-sha-512": "SCRAM-SHA-512"}

MechanismOpt = Annotated[
    str,
    typer.Option(
        "--mechanism", help="SASL mechanism to use for the user: scram-sha-256 or scram-sha-512."
    ),
]
FormatOpt = Annotated[str, typer.Option("--format", help=FORMAT_HELP)]


def mechanism(value: str) -> str:
    try:
        return MECHANISMS[value.strip().lower()]
    except KeyError:
        raise UsageError(
            f"unsupported mechanism {value!r}, use scram-sha-256 or scram-sha-512"
        ) from None
