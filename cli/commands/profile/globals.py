"""`rpk profile print-globals`, `set-globals` and `edit-globals`: the `globals:` section of rpk.yaml."""

from __future__ import annotations

from typing import Annotated, Any

import typer
import yaml

from cli.commands.profile import _store
from cli.commands.profile.edit import run_editor
from cli.config import xflags
from cli.config.files import dump_yaml
from cli.config.values import parse_duration, split_kv
from cli.errors import UsageError
from cli.options import with_globals

PREFIX = "globals."
# rpk's RpkGlobals fields in order, with the zero value Go prints for a field the file does not set
ZERO = {"str": "", "bool": False, "duration": "0s"}


def _flags() -> list[xflags.XFlag]:
    return [f for f in xflags.XFLAGS if f.is_global]


def _key(name: str) -> str:
    """A globals key as an -X key (`globals.dial_timeout`) or its YAML path in the section (`dial_timeout`)."""
    key = name.strip().lower()
    full = key if key.startswith(PREFIX) else PREFIX + key
    if full not in xflags.BY_KEY or not xflags.BY_KEY[full].is_global:
        known = ", ".join(f.path.removeprefix(PREFIX) for f in _flags())
        raise UsageError(f'unknown globals key "{name}"; known keys: {known}')
    return full


def _is_zero(kind: str, value: Any) -> bool:
    if kind == "duration":
        return parse_duration(str(value)) == 0
    return value == ZERO.get(kind, "")


def _shown(section: dict) -> dict[str, Any]:
    out = {
        f.path.removeprefix(PREFIX): section.get(f.path.removeprefix(PREFIX), ZERO.get(f.kind, ""))
        for f in _flags()
    }
    out.update({k: v for k, v in section.items() if k not in out})
    return out


@with_globals
def print_globals() -> None:
    """Print the rpk globals section of rpk.yaml."""
    typer.echo(dump_yaml(_shown(_store.load().globals)), nl=False)


@with_globals
def set_globals(
    pairs: Annotated[
        list[str],
        typer.Argument(
            help="key=value pairs (globals.KEY -X keys or KEY).", metavar="KEY=VALUE..."
        ),
    ],
) -> None:
    """Set fields in the rpk globals section of rpk.yaml."""
    rpk = _store.load()
    section = rpk.globals
    keys = []
    for item in pairs:
        name, value = split_kv(item)
        xflags.apply({}, section, _key(name), value)
        keys.append(name)
    rpk.save()
    for key in keys:
        typer.echo(f'Set key "{key}" in rpk globals.')


@with_globals
def edit_globals() -> None:
    """Edit the rpk globals section of rpk.yaml in $EDITOR."""
    rpk = _store.load()
    try:
        edited = yaml.safe_load(run_editor(dump_yaml(_shown(rpk.globals))))
    except yaml.YAMLError:
        raise UsageError("the edited globals are not valid YAML") from None
    if edited is None:
        edited = {}
    if not isinstance(edited, dict):
        raise UsageError("the edited globals are not a YAML mapping")
    section: dict = {}
    for name, value in edited.items():
        raw = (
            "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
        )
        key = _key(str(name))
        xflags.apply({}, section, key, raw)
        short = key.removeprefix(PREFIX)
        if _is_zero(xflags.BY_KEY[key].kind, section[short]):
            del section[short]  # a zero value is rpk's "unset": keep the file as minimal as before
    rpk.doc["globals"] = section
    rpk.save()
    typer.echo("rpk globals updated.")


def register(app: typer.Typer) -> None:
    app.command("print-globals")(print_globals)
    app.command("set-globals")(set_globals)
    app.command("edit-globals")(edit_globals)
