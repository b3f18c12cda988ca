"""`rpk cluster config status`."""

from __future__ import annotations

import typer

from cli._app import add_command
from cli.clients.admin import from_profile
from cli.clients.admin.config import config_status
from cli.commands.cluster.config._all import AllOpt
from cli.options import with_globals
from cli.output import print_table


@with_globals
def config_status_cmd(all_: AllOpt = False) -> None:
    """Get configuration status of the brokers: version, pending restart, invalid and unknown keys."""
    rows = [
        [s.node_id, s.config_version, str(s.restart).lower(), s.invalid, s.unknown]
        for s in sorted(config_status(from_profile()), key=lambda s: s.node_id)
    ]
    print_table(["node", "config-version", "needs-restart", "invalid", "unknown"], rows)


def register(app: typer.Typer) -> None:
    add_command(app, config_status_cmd, "status")
