"""`rpk security user create`."""

from __future__ import annotations

import secrets
import string
from typing import Annotated, Optional

import typer

from cli._app import add_command
from cli.clients.admin import AdminApiError, from_profile
from cli.clients.admin.security import create_user
from cli.commands.security.user._common import FormatOpt, MechanismOpt, mechanism
from cli.errors import CliError
from cli.options import with_globals
from cli.output import check_format, print_structured

GENERATED_PASSWORD_CHARS = 30
_ALPHABET = string.ascii_letters + string.digits


def generate_password(length: int = GENERATED_PASSWORD_CHARS) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@with_globals
def user_create(
    username: Annotated[str, typer.Argument(metavar="USER")],
    password: Annotated[
        Optional[str],
        typer.Option(
            "-p", "--password", "--new-password", help="New user's password (generated if omitted)."
        ),
    ] = None,
    mech: MechanismOpt = "scram-sha-256",
    fmt: FormatOpt = "text",
) -> None:
    """Create a SASL user; without -p a random password is generated and printed."""
    fmt = check_format(fmt)
    algorithm = mechanism(mech)
    generated = password is None
    secret = generate_password() if password is None else password
    try:
        create_user(from_profile(), username, secret, algorithm)
    except AdminApiError as exc:
        raise CliError(f'unable to create user "{username}": {exc.message}') from None
    if fmt != "text":
        out = {"user": username, "mechanism": algorithm}
        print_structured({**out, "password": secret} if generated else out, fmt)
        return
    typer.echo(f'Created user "{username}".')
    if generated:
        typer.echo("Automatically generated password:")
        typer.echo(secret)  # on its own line, so `tail -1` takes it


def register(app: typer.Typer) -> None:
    add_command(app, user_create, "create")
