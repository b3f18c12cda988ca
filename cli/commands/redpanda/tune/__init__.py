"""`rpk redpanda tune`: `tune list`, `tune help TUNER`, `tune all` and `tune <tuner>...`.

The CLI owner adds it with `cli.commands.redpanda.tune.register(redpanda_app)`.
"""

from __future__ import annotations

from typing import NoReturn

import typer

from cli._app import new_group
from cli._help import RpkGroup, usage_text
from cli.commands.redpanda.tune import help as help_cmd
from cli.commands.redpanda.tune import list as list_cmd
from cli.commands.redpanda.tune import tune as tune_cmd
from cli.errors import CommandUsageError
from cli.options import handle_x_help, pending_x
from tuners import registry

# rpk's Long: every tuner on a line of its own, then where to read about each
HELP = """Sets the OS parameters to tune system performance.

Available tuners:

  - all.
  - {}

To learn more about a tuner, run 'rpk redpanda tune help <tuner name>'.""".format(
    "\n  - ".join(registry.available())
)
REQUIRES_TUNERS = "requires the list of elements to tune"


class TuneGroup(RpkGroup):
    """rpk's tune: one command that takes the tuners as its argument and has `help` and `list`.

    The tuners are hidden commands carrying tune's flags; the group lists those flags as its own,
    takes them before the tuner names too (cobra parses flags anywhere), accepts
    'net,swappiness' as the tuner argument and rejects what rpk's Args rejects.
    """

    def _tuner_command(self):
        return self.commands[tune_cmd.ALL]

    def get_params(self, ctx):
        """The flags of a tuner command (for help and for flags given before the tuners)."""
        return [p for p in self._tuner_command().get_params(ctx) if p.param_type_name == "option"]

    def parse_args(self, ctx, args):
        args = [*args]  # (`list` is the tune.list submodule in this package)
        at = first_positional(args, self.get_params(ctx))
        if at is None:  # flags only (or nothing): help if asked, flag errors, else rpk's Args error
            if args:
                return super().parse_args(ctx, args)  # then without_subcommand
            self.without_subcommand(ctx)
        return super().parse_args(ctx, [args[at], *args[:at], *args[at + 1 :]])

    def without_subcommand(self, ctx) -> NoReturn:
        # cobra runs rpk's -X help / -X list hook before it checks the arguments
        handle_x_help(pending_x(ctx))
        raise CommandUsageError(REQUIRES_TUNERS, usage_text(self, ctx))

    def resolve_command(self, ctx, args):
        """rpk's Args and Run: the first argument names the tuners (`all` alone, or a
        comma-separated list of tuners); any further argument is ignored."""
        if not args or args[0] in (list_cmd.NAME, help_cmd.NAME):
            return super().resolve_command(ctx, args)
        rest = args[1:]
        others = positionals(rest, self.get_params(ctx))
        names = args[0].split(",")
        if not (args[0] == tune_cmd.ALL and not others) and not all(
            n in registry.TUNERS for n in names
        ):
            self.refuse_arguments(ctx, rest, tune_cmd.invalid_tuner_message(args[0]))
        flags = [a for i, a in enumerate(rest) if i not in others]
        return super().resolve_command(ctx, [*names, *flags])


def positionals(args: list[str], params) -> list[int]:
    """The indexes of the arguments that are not flags or flags' values (cobra's stripFlags)."""
    takes_value = {
        opt
        for p in params
        if not getattr(p, "is_flag", False) and not getattr(p, "count", False)
        for opt in p.opts
    }
    found: list[int] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return found + list(range(i + 1, len(args)))
        if arg.startswith("-") and len(arg) > 1:
            long_value = arg.startswith("--") and "=" not in arg
            short_value = len(arg) == 2
            i += 2 if (long_value or short_value) and arg in takes_value else 1
            continue
        found.append(i)
        i += 1
    return found


def first_positional(args: list[str], params) -> int | None:
    """The index of the first argument that is not a flag or a flag's value."""
    return next(iter(positionals(args, params)), None)


def register(app: typer.Typer, hidden: bool = False) -> None:
    tune_app = new_group("tune", HELP, cls=TuneGroup)
    list_cmd.register(tune_app)
    help_cmd.register(tune_app)
    tune_cmd.register_tuner_commands(tune_app)
    app.add_typer(tune_app, name="tune", hidden=hidden)
