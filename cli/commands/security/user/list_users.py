"""`rpk security user list`."""

from __future__ import annotations

import typer

from cli._app import add_command
from cli.clients.admin import from_profile
from cli.clients.admin.security import list_users
from cli.commands.security.user._common import FormatOpt
from cli.options import with_globals
from cli.output import check_format, print_structured, print_table


@with_globals
def user_list(fmt: FormatOpt = "text") -> None:
    """List SASL users."""
    fmt = check_format(fmt)
    users = sorted(list_users(from_profile()))
    if fmt == "text":
        print_table(["username"], [[u] for u in users])
    else:
        print_structured(users, fmt)


def register(app: typer.Typer) -> None:
    add_command(app, user_list, "list", aliases=("ls",))
