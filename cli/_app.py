"""One factory so every command group shares the same Typer settings."""

from __future__ import annotations

import typer

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


def new_group(name: str, help: str, **kwargs) -> typer.Typer:
    return typer.Typer(
        name=name,
        help=help,
        no_args_is_help=True,
        add_completion=False,
        context_settings=CONTEXT_SETTINGS,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        **kwargs,
    )
