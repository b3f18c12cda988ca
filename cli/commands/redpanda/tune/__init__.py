"""`rpk redpanda tune`: `tune list`, `tune help TUNER`, `tune all` and `tune <tuner>...`.

The CLI owner adds it with `cli.commands.redpanda.tune.register(redpanda_app)`.
"""

from __future__ import annotations

import typer

from cli._app import new_group
from cli._help import RpkGroup
from cli.commands.redpanda.tune import help as help_cmd
from cli.commands.redpanda.tune import list as list_cmd
from cli.commands.redpanda.tune import tune as tune_cmd
from cli.errors import CliError

HELP = """Sets the OS parameters to tune system performance.

Available tuners: all, or any of the names listed by 'rpk redpanda tune list'.
Several tuners can be given, separated by commas or spaces: 'rpk redpanda tune net,swappiness'.
Tuners run only if enabled in the rpk section of redpanda.yaml."""


class TuneGroup(RpkGroup):
    """Accepts 'net,swappiness' as the tuner name and rejects unknown tuners as rpk does."""

    def resolve_command(self, ctx, args):
        if args and not args[0].startswith("-"):
            first, *rest = args[0].split(",")
            names = [first, *[r for r in rest if r]]
            if first not in self.commands:
                raise CliError(tune_cmd.invalid_tuner_message(first))
            args = [names[0], *names[1:], *args[1:]]
        return super().resolve_command(ctx, args)


def register(app: typer.Typer, hidden: bool = False) -> None:
    tune_app = new_group("tune", HELP, cls=TuneGroup)
    list_cmd.register(tune_app)
    help_cmd.register(tune_app)
    tune_cmd.register_tuner_commands(tune_app)
    app.add_typer(tune_app, name="tune", hidden=hidden)
