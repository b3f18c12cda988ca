"""`rpk redpanda`: interact with a local broker (start, stop, config, mode, tune, check).

As rpk does on Linux, the subcommands are also reachable as deprecated, hidden top-level
aliases (`rpk start` → `rpk redpanda start`, ...), registered from the same modules.
"""

from __future__ import annotations

import typer

from cli._app import new_group
from cli.commands.redpanda import admin, check, config, mode, start, stop, tune

COMMANDS = {
    "start": start,
    "stop": stop,
    "config": config,
    "mode": mode,
    "tune": tune,
    "check": check,
}


def register(root: typer.Typer) -> None:
    app = new_group("redpanda", "Interact with a local Redpanda process.")
    for module in COMMANDS.values():
        module.register(app)
    admin.register(app)
    root.add_typer(app, name="redpanda")


def register_deprecated_aliases(root: typer.Typer) -> None:
    """`rpk start|stop|config|mode|tune|check`: hidden top-level copies of `rpk redpanda …`."""
    for module in COMMANDS.values():
        module.register(root, hidden=True)


def deprecation_notice(invoked: str | None) -> str | None:
    """The warning for a top-level alias, as cobra words it for deprecated commands."""
    if invoked not in COMMANDS:
        return None
    return f'Command "{invoked}" is deprecated, use "rpk redpanda {invoked}" instead'
