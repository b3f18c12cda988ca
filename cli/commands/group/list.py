"""`rpk group list`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli import options
from cli._app import add_command
from cli.clients import kafka as kc
from cli.commands.group._common import groups_by_broker
from cli.errors import CliError
from cli.options import with_globals
from cli.output import print_table

VALID_STATES = ("PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty")


@with_globals
@kc.kafka_command
def group_list(
    states: Annotated[
        Optional[list[str]],
        typer.Option(
            "-s",
            "--states",
            help="Comma-separated states to filter by (e.g. Stable,Empty).",
            metavar="strings",
        ),
    ] = None,
) -> None:
    """List all groups."""
    wanted = set()
    for state in (s.strip() for item in states or [] for s in item.split(",")):
        if state.lower() not in {v.lower() for v in VALID_STATES}:
            raise CliError(f"Invalid group state argument: {state}")
        wanted.add(state.lower())
    with kc.admin_session(options.params()) as admin:
        groups = groups_by_broker(admin)
    rows = []
    for broker_id, g in groups:
        state = g.get("group_state") or ""
        if wanted and state.lower() not in wanted:
            continue
        rows.append([broker_id, g.get("group_id", ""), state])
    print_table(["broker", "group", "state"], sorted(rows, key=lambda r: (r[1], r[0])))


def register(app: typer.Typer) -> None:
    add_command(app, group_list, "list", aliases=("ls",), short_help="List all groups")
