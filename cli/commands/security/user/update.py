"""`rpk security user update`."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._app import add_command
from cli.clients.admin import from_profile
from cli.clients.admin.security import update_user
from cli.commands.security.user._common import FormatOpt, MechanismOpt, mechanism
from cli.options import with_globals
from cli.output import check_format, print_structured


@with_globals
def user_update(
    username: Annotated[str, typer.Argument(metavar="USER")],
    new_password: Annotated[str, typer.Option("--new-password", help="The user's new password.")],
    mech: MechanismOpt = "scram-sha-256",
    fmt: FormatOpt = "text",
) -> None:
    """Change a SASL user's password and mechanism."""
    fmt = check_format(fmt)
    update_user(from_profile(), username, new_password, mechanism(mech))
    if fmt == "text":
        typer.echo(f'Updated user "{username}" successfully.')
    else:
        print_structured({"user": username, "mechanism": mechanism(mech)}, fmt)


def register(app: typer.Typer) -> None:
    add_command(app, user_update, "update")
