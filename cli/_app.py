"""One factory so every command group shares the same Typer settings, plus alias helpers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import typer

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 120}


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


def add_command(
    app: typer.Typer, func: Callable, name: str, aliases: Sequence[str] = (), **kwargs
) -> None:
    """Register `func` as `name`, and each alias as a hidden copy (cobra's Aliases)."""
    from cli._help import RpkCommand, alias_class

    app.command(name, **kwargs)(func)
    for alias in aliases:
        cls = alias_class(kwargs.pop("cls", RpkCommand), name)
        app.command(alias, hidden=True, cls=cls, **kwargs)(func)


def add_group(
    parent: typer.Typer, child: typer.Typer, name: str, aliases: Sequence[str] = ()
) -> None:
    from cli._help import RpkGroup, alias_class

    parent.add_typer(child, name=name)
    for alias in aliases:
        parent.add_typer(child, name=alias, hidden=True, cls=alias_class(RpkGroup, name))
