"""`rpk security user delete`."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._app import add_command
from cli.clients.admin import from_profile
from cli.clients.admin.security import delete_user
from cli.commands.security.user._common import FormatOpt
from cli.options import with_globals
from cli.output import check_format, print_structured


@with_globals
def user_delete(
    username: Annotated[str, typer.Argument(metavar="USER")], fmt: FormatOpt = "text"
) -> None:
    """Delete a SASL user."""
    fmt = check_format(fmt)
    delete_user(from_profile(), username)
    if fmt == "text":
        typer.echo(f'Deleted user "{username}".')
    else:
        print_structured({"user": username}, fmt)


def register(app: typer.Typer) -> None:
    add_command(app, user_delete, "delete")
