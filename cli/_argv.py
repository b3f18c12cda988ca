"""rpk's (cobra's) reading of a command line, put in front of Typer's parsing.

Cobra finds the command before it parses any flag: at each level it skips the flags it sees,
with their values (a flag that level does not know is taken to have one), takes the first other
word as the subcommand and goes on from there. The command found then parses every other word,
so a flag may come anywhere, before the group too (`rpk --brokers X topic list`). Typer parses
each level's flags at that level, so `command_path_first` moves the command path to the front,
every other word kept in its order: the command found parses them, as in rpk.

pflag's bool flags also take an optional `=value` (`--tls-enabled=false`), which Typer's flags
refuse: `go_bool_values` turns them into what Typer reads (the flag, or nothing).
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from cli.errors import FlagError

GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})  # Go's strconv.ParseBool
GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def _options(cmd, ctx) -> dict:
    """Every flag name of `cmd` -> its option (None for the help flags, which take no value)."""
    found: dict = dict.fromkeys(ctx.help_option_names)
    for param in cmd.get_params(ctx):
        if param.param_type_name == "option":
            for name in [*param.opts, *param.secondary_opts]:
                found[name] = param
    return found


def _is_bool(param) -> bool:
    return param is None or bool(getattr(param, "is_flag", False) or getattr(param, "count", False))


def _takes_value(options: dict, arg: str) -> bool:
    """cobra's !hasNoOptDefVal: a flag this level does not know is taken to have a value."""
    return arg not in options or not _is_bool(options[arg])


def _first_word(args: list[str], options: dict) -> int | None:
    """The index of the first word that is neither a flag nor a flag's value (cobra's
    stripFlags): `--name value` and `-n value` skip the value, `--` ends the search."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return None
        long_form = arg.startswith("--") and "=" not in arg
        short_form = len(arg) == 2 and arg.startswith("-") and arg != "--"
        if (long_form or short_form) and _takes_value(options, arg):
            i += 2
            continue
        if arg and not arg.startswith("-"):
            return i
        i += 1
    return None


def cobra_args(cmd, ctx, args: list[str]) -> list[str]:
    """`args` as cobra would have `cmd` parse them: from the root, the command path first; the
    bool flags' `=value` read as pflag reads it (a bad one raises FlagError)."""
    if ctx.parent is None:
        args = command_path_first(cmd, ctx, args)
    return go_bool_values(cmd, ctx, args, interspersed=not isinstance(cmd, TyperGroup))


def command_path_first(root, ctx, args: list[str]) -> list[str]:
    """`args` with the command path cobra finds moved to the front (cobra's Find).

    A hidden command standing for a positional argument (a tuner of `rpk redpanda tune`) is the
    end of the path: it is moved along with it, as Typer needs it there.
    """
    names: list[str] = []
    rest = list(args)
    cmd, level = root, ctx
    while isinstance(cmd, TyperGroup):
        at = _first_word(rest, _options(cmd, level))
        sub = cmd.get_command(level, rest[at]) if at is not None else None
        if at is None or sub is None:
            break
        names.append(rest.pop(at))
        if getattr(sub, "rpk_argument", False):
            break
        cmd, level = sub, typer.Context(sub, info_name=names[-1], parent=level)
    return names + rest


def go_bool_values(cmd, ctx, args: list[str], interspersed: bool) -> list[str]:
    """`args` with pflag's `--flag=BOOL` / `-f=BOOL` of `cmd`'s bool flags made Typer's: `true`
    becomes the bare flag, `false` drops it (and its earlier occurrences: the last one wins).

    The words `cmd` parses itself are looked at: all of them for a command, those before the
    first subcommand for a group. A bad value is pflag's error, unless an unknown flag came
    first (Typer reports that one, as pflag would).
    """
    options = _options(cmd, ctx)
    out: list[tuple[str, object]] = []  # each word, and the option it names (None: not a flag)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--" or (not arg.startswith("-") and not interspersed):
            break
        name, eq, value = arg.partition("=")
        param = _named(options, arg, name)
        if param is _UNKNOWN and not ctx.ignore_unknown_options:
            break  # Typer's unknown-flag error comes first
        if eq and param not in (None, _UNKNOWN) and _is_plain_bool(param):
            out = _with_bool(out, param, name, value)
        else:
            out.append((arg, param if arg.startswith("-") else None))
            if arg in options and not _is_bool(options[arg]) and i + 1 < len(args):
                i += 1  # the flag's value, whatever it looks like
                out.append((args[i], None))
        i += 1
    return [word for word, _ in out] + args[i:]


_UNKNOWN = object()


def _named(options: dict, arg: str, name: str):
    """The option a flag word names (None for a help flag or a non-flag, _UNKNOWN if none)."""
    if not arg.startswith("-") or arg == "-":
        return None
    if name in options:
        return options[name]
    if not arg.startswith("--") and arg[:2] in options:
        return options[arg[:2]]  # `-p3`, `-vh`: a value or more bool flags in the same word
    return _UNKNOWN


def _is_plain_bool(param) -> bool:
    """A bool flag as Typer declares a Go bool: no `--no-` twin, no other value when given."""
    return bool(getattr(param, "is_bool_flag", False)) and not param.secondary_opts


def _with_bool(out: list, param, name: str, value: str) -> list:
    if value in GO_TRUE:
        return [*out, (name, param)]
    if value in GO_FALSE:
        return [(word, named) for word, named in out if named is not param]
    shorts = [o for o in param.opts if not o.startswith("--")]
    longs = [o for o in param.opts if o.startswith("--")]
    shown = f"{shorts[0]}, {longs[0]}" if shorts and longs else name
    raise FlagError(
        f'invalid argument "{value}" for "{shown}" flag: '
        f'strconv.ParseBool: parsing "{value}": invalid syntax'
    )
