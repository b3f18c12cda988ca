"""`rpk cluster partitions move-cancel|alter-cancel [--node N] [--no-confirm]` (a hidden
`movement-cancel` too): cancel every move, or those to or from one node, after confirming;
prints `NAMESPACE TOPIC PARTITION RESULT`."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._app import add_command
from cli.clients.admin import AdminApiError, from_profile
from cli.commands.cluster.partitions._admin import cancel_all, cancel_node
from cli.errors import CliError
from cli.options import with_globals
from cli.output import print_table

HELP = """Cancel ongoing partition movements.

By default, this command cancels all the partition movements in the cluster.
To ensure that you do not accidentally cancel all partition movements, this
command prompts users for confirmation before issuing the cancellation request.
You can use "--no-confirm" to disable the confirmation prompt:

    rpk cluster partitions move-cancel --no-confirm

If "--node" is set, this command will only stop the partition movements
occurring in the specified node:

    rpk cluster partitions move-cancel --node 1
"""


def _confirm(question: str) -> None:
    if not typer.confirm(question, default=False):
        typer.echo("Command execution canceled.")
        raise typer.Exit(0)


@with_globals
def move_cancel(
    node: Annotated[
        int,
        typer.Option("--node", help="ID of a specific node on which to cancel movements"),
    ] = -1,
    no_confirm: Annotated[
        bool, typer.Option("--no-confirm", help="Disable confirmation prompt")
    ] = False,
) -> None:
    """Cancel ongoing partition movements."""
    client = from_profile()
    try:
        if node >= 0:
            if not no_confirm:
                _confirm(f"Confirm cancellation of partition movements in node {node}?")
            results = cancel_node(client, node)
        else:
            if not no_confirm:
                _confirm("Confirm cancellation of all partition movements in the cluster?")
            results = cancel_all(client)
    except AdminApiError as exc:
        where = f" in node {node}" if node >= 0 else ""
        raise CliError(f"unable to cancel partition movements{where}: {exc}") from None
    if not results:
        typer.echo("There are no ongoing partition movements to cancel")
        return
    print_table(
        ["namespace", "topic", "partition", "result"],
        [[r["ns"], r["topic"], r["partition"], r["result"]] for r in results],
    )


def register(app: typer.Typer) -> None:
    add_command(
        app, move_cancel, "move-cancel", aliases=("alter-cancel", "movement-cancel"), help=HELP
    )
