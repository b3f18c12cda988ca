"""`rpk help [command]`: cobra's default help command, which rpk gets at its root.

`rpk help topic create` prints what `rpk topic create --help` prints (stdout, exit 0), and
`rpk help` the root's help. Names that are not commands end the walk (see cli._help.find):
rpk prints the help of the last command found, never cobra's "Unknown help topic".
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli import _help
from cli.options import with_globals

# cobra's InitDefaultHelpCmd: its Long, with the root's name filled in
HELP = """Help provides help for any command in the application.
Simply type rpk help [path to command] for full details."""


class HelpCommand(_help.RpkCommand):
    # cobra adds this command after rpk relabels every -h flag, so it keeps cobra's wording
    rpk_help_flag_usage = "help for help"


def register(app: typer.Typer) -> None:
    @app.command("help", help=HELP, cls=HelpCommand)
    @with_globals
    def help_command(
        ctx: typer.Context,
        command: Annotated[Optional[list[str]], typer.Argument(show_default=False)] = None,
    ) -> None:
        cmd, found = _help.find(ctx.find_root(), list(command or []))
        typer.echo(cmd.get_help(found))
