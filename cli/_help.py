"""Help and usage errors laid out as rpk's (cobra's usage template, pflag's flag lines).

`apply(app)` gives every Typer command and group of the tree these classes (through
CommandInfo.cls / TyperInfo.cls), so command modules need not know about them.
"""

from __future__ import annotations

from typing import Any, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup
from typer.models import DefaultPlaceholder

from cli import _argv, _pflag, _rpk_use
from cli.errors import CommandUsageError, FlagError
from cli.options import (
    absorb_group_flags,
    group_params,
    handle_x_help,
    pending_x,
    x_param_name,
)

GLOBAL_FLAGS = ("--config", "--config-opt", "--profile", "--verbose")
MIN_NAME_PADDING = 11  # cobra's minNamePadding
# Flags a command parses by hand (pflag's optional-value bools), by command path: their rows
EXTRA_FLAGS: dict[str, list[tuple[str, str]]] = {}


def _split_flags(cmd, ctx) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    local: list[tuple[str, str]] = []
    inherited: list[tuple[str, str]] = []
    is_root = ctx.parent is None
    path = _canonical(ctx)
    from_group = _rpk_use.inherited_flags(path)  # a group's persistent flags, as rpk has them
    group_rows = []
    for param in cmd.get_params(ctx):
        if param.param_type_name != "option" or param.hidden or "--help" in param.opts:
            continue
        row = _pflag.flag_row(param)
        if any(o in from_group for o in param.opts):
            group_rows.append(row)
            continue
        is_global = any(o in GLOBAL_FLAGS for o in param.opts)
        (inherited if is_global and not is_root else local).append(row)
    help_usage = getattr(cmd, "rpk_help_flag_usage", None)  # cobra's own, for its help command
    local.append(("  -h, --help", help_usage or f"Help for {path[-1] if path else 'rpk'}"))
    local += EXTRA_FLAGS.get(" ".join(["rpk", *path]), [])
    local += [row for _, row in _rpk_use.PERSISTENT_FLAGS.get(" ".join(path), ())]
    if not is_root:  # the persistent flags are the root's own: listed under Global Flags
        inherited = _global_rows(ctx) or inherited
    inherited += group_rows
    return sorted(local, key=_sort_key), sorted(inherited, key=_sort_key)


def _global_rows(ctx) -> list[tuple[str, str]]:
    root = ctx.find_root()
    params = [p for p in root.command.get_params(root) if any(o in GLOBAL_FLAGS for o in p.opts)]
    return [_pflag.flag_row(p) for p in params]


def _sort_key(row: tuple[str, str]) -> str:
    return row[0].strip().split(", ")[-1].lstrip("-")


def _canonical(ctx) -> list[str]:
    """The command path without `rpk`, each alias replaced by the name it stands for."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(getattr(ctx.command, "rpk_alias_of", None) or ctx.info_name or "")
        ctx = ctx.parent
    return names[::-1]


def _arguments(cmd) -> str:
    parts = []
    for param in cmd.params:
        if param.param_type_name != "argument":
            continue
        name = (param.metavar or param.name or "").strip("{}").upper()
        name += "..." if param.nargs == -1 else ""
        parts.append(name if param.required else f"[{name}]")
    return " ".join(parts)


def _use_line(cmd, path: list[str]) -> str:
    """cobra's UseLine: the parent's path, the command's `Use:`, then `[flags]`."""
    rpk = _rpk_use.lookup(" ".join(path))
    if rpk is not None:
        use = rpk[0] if not path else rpk[0].replace(path[-1], path[-1], 1)
    else:
        args = _arguments(cmd) if not isinstance(cmd, TyperGroup) else ""
        use = " ".join(filter(None, [path[-1] if path else "rpk", args]))
    line = " ".join(["rpk", *path[:-1], use]) if path else use
    return line if "[flags]" in line else line + " [flags]"


def short_text(cmd, path: list[str]) -> str:
    """The one-line description in a parent's "Available Commands" (rpk's `Short:`)."""
    rpk = _rpk_use.lookup(" ".join(path))
    if rpk is not None:
        return rpk[1]
    text = (cmd.short_help or cmd.help or "").strip().split("\n", 1)[0].strip()
    return text[:-1] if text.endswith(".") else text


def _subcommands(cmd, ctx) -> list[tuple[str, Any]]:
    """Every real subcommand (not an alias's hidden copy), by name as cobra sorts them."""
    out = []
    for name in sorted(cmd.list_commands(ctx)):
        sub = cmd.get_command(ctx, name)
        if sub is not None and getattr(sub, "rpk_alias_of", None) is None:
            out.append((name, sub))
    return out


def _name_padding(subs: list[tuple[str, Any]], path: list[str]) -> int:
    """cobra's NamePadding: the longest child name, hidden ones included (minimum 11)."""
    counted = [
        n for n, s in subs if not s.hidden or _rpk_use.lookup(" ".join([*path, n])) is not None
    ]
    return max([MIN_NAME_PADDING, *(len(n) for n in counted)])


def _aliases(name: str, ctx) -> list[str]:
    parent = ctx.parent.command if ctx.parent is not None else None
    if parent is None or not hasattr(parent, "commands"):
        return []
    return [
        alias
        for alias, sub in parent.commands.items()
        if alias != name and getattr(sub, "rpk_alias_of", None) == name
    ]


def usage_text(cmd, ctx) -> str:
    """rpk's usage template: Usage, Aliases, Available Commands, Flags, Global Flags.

    Every rpk command is runnable (rpk gives groups a Run that prints their help), so groups
    print their use line too. Paths name commands, never the alias that was typed.
    """
    path = _canonical(ctx)
    shown = " ".join(["rpk", *path])
    subs = _subcommands(cmd, ctx) if isinstance(cmd, TyperGroup) else []
    visible = [(n, s) for n, s in subs if not s.hidden]
    out = ["Usage:", f"  {_use_line(cmd, path)}"]
    if visible:
        out.append(f"  {shown} [command]")
    aliases = _aliases(path[-1], ctx) if path else []
    if " ".join(path) in _rpk_use.ALIASES:
        aliases = [a for a in _rpk_use.ALIASES[" ".join(path)] if a in aliases]
    if aliases:
        out += ["", "Aliases:", f"  {', '.join([path[-1], *aliases])}"]
    example = _rpk_use.EXAMPLES.get(" ".join(path))
    if example:
        out += ["", "Examples:", example]
    if visible:
        pad = _name_padding(subs, path)
        out += ["", "Available Commands:"]
        out += [f"  {n.ljust(pad)} {short_text(s, [*path, n])}" for n, s in visible]
    local, inherited = _split_flags(cmd, ctx)
    out += ["", "Flags:", _pflag.render(local)]
    if inherited:
        out += ["", "Global Flags:", _pflag.render(inherited)]
    if visible:
        out += ["", f'Use "{shown} [command] --help" for more information about a command.']
    return "\n".join(out) + "\n"


def help_text(cmd, ctx) -> str:
    """cobra's help template: the Long text (or the Short when there is none), the usage."""
    text = (cmd.help or "").strip()
    if "\n" not in text:  # a one-line docstring stands for rpk's Short
        text = short_text(cmd, _canonical(ctx))
    epilog = (cmd.epilog or "").strip()
    head = f"{text}\n\n" if text else ""
    tail = f"\n{epilog}\n" if epilog else ""
    return head + usage_text(cmd, ctx) + tail


def _arg_count(cmd) -> tuple[int, bool]:
    args = [p for p in cmd.params if p.param_type_name == "argument"]
    return sum(1 for p in args if p.required), any(p.nargs == -1 for p in args)


def _cobra_message(cmd, ctx, exc, args: list[str]) -> str:
    """The cobra/pflag wording for one of Typer's usage errors."""
    kind = type(exc).__name__
    if kind == "NoSuchOption":
        name = exc.option_name
        if name.startswith("--"):
            return f"unknown flag: {name}"
        return f"unknown shorthand flag: '{name[1:2]}' in {name}"
    required, variadic = _arg_count(cmd)
    positional = _positionals(cmd, ctx, args)
    param = getattr(exc, "param", None)
    if kind == "MissingParameter" and getattr(param, "param_type_name", "") == "argument":
        if variadic:
            return f"requires at least {max(required, 1)} arg(s), only received {len(positional)}"
        return f"accepts {required} arg(s), received {len(positional)}"
    message = exc.format_message()
    if message.startswith("Got unexpected extra argument"):
        extra = message.rpartition("(")[2].rstrip(")").split()
        if required == 0 and not variadic:
            return f'unknown command "{extra[0]}" for "{ctx.command_path}"'
        return f"accepts {required} arg(s), received {len(positional)}"
    if kind == "BadParameter" and getattr(param, "param_type_name", "") == "option":
        flag = next((o for o in param.opts if o.startswith("--")), param.opts[0])
        value = _value_after(args, param.opts)
        kind_name = _pflag.type_name(param) or "bool"
        return f'invalid argument "{value}" for "{flag}" flag: {_go_parse_error(kind_name, value)}'
    if kind == "BadOptionUsage" and "requires an argument" in message:
        name = exc.option_name
        return f"flag needs an argument: {name if name.startswith('--') else repr(name[1:2]) + ' in ' + name}"
    return message


def _positionals(cmd, ctx, args: list[str]) -> list[str]:
    """The arguments that are not flags or flags' values, as the command's parser sees them."""
    parser = cmd.make_parser(ctx)
    parser.allow_interspersed_args = True
    try:
        return list(parser.parse_args(list(args))[1])
    except Exception:  # a flag error: count as before, the error is about the flag anyway
        return [a for a in args if not a.startswith("-")]


def _checks_arguments(exc) -> bool:
    """A usage error about the arguments or a required flag: cobra finds these after it parsed
    the flags and ran rpk's -X hook (ValidateArgs, ValidateRequiredFlags); not a flag error."""
    kind = type(exc).__name__
    if kind in ("MissingParameter", "BadArgumentUsage"):
        return True
    if kind == "BadParameter":
        return getattr(getattr(exc, "param", None), "param_type_name", "") == "argument"
    return kind == "UsageError"  # Typer's 'Got unexpected extra argument'


def _value_after(args: list[str], opts: list[str]) -> str:
    for i, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if name in opts:
            return value if eq else (args[i + 1] if i + 1 < len(args) else "")
        for o in opts:
            if not o.startswith("--") and arg.startswith(o) and len(arg) > len(o):
                return arg[len(o) :]
    return ""


def _go_parse_error(kind: str, value: str) -> str:
    if kind.startswith("uint"):
        return f'strconv.ParseUint: parsing "{value}": invalid syntax'
    if kind.startswith("int"):
        return f'strconv.ParseInt: parsing "{value}": invalid syntax'
    if kind.startswith("float"):
        return f'strconv.ParseFloat: parsing "{value}": invalid syntax'
    return f'invalid value "{value}"'


class _RpkHelp:
    def shown(self, ctx) -> tuple[Any, Any]:
        """The command (and context) whose help and usage this command prints."""
        return self, ctx

    def format_help(self, ctx, formatter) -> None:
        formatter.write(help_text(*self.shown(ctx)))

    def get_help(self, ctx) -> str:
        return help_text(*self.shown(ctx)).rstrip("\n")

    def parse_args(self, ctx, args):
        if not ctx.resilient_parsing:  # cobra's reading of the line (not for shell completion)
            try:
                args = _argv.cobra_args(self, ctx, args)
            except FlagError as exc:
                raise CommandUsageError(str(exc), usage_text(*self.shown(ctx))) from None
        given = list(args)  # the parser consumes `args`
        try:
            return super().parse_args(ctx, args)
        except typer.Exit:
            raise
        except Exception as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                handle_x_help(pending_x(ctx))  # `rpk -X list topic`: the root's -X, then
                typer.echo(help_text(*self.shown(ctx)), nl=False)  # a group alone: its help
                raise typer.Exit(0) from None
            if not hasattr(exc, "format_message") or not hasattr(exc, "ctx"):
                raise
            if _checks_arguments(exc):
                handle_x_help(pending_x(ctx))
            raise CommandUsageError(
                _cobra_message(self, ctx, exc, given), usage_text(*self.shown(ctx))
            ) from None


class RpkCommand(_RpkHelp, TyperCommand):
    rpk_alias_of: str | None = None


class RpkGroup(_RpkHelp, TyperGroup):
    """A command group as rpk's: it takes the persistent flags too (rpk's are on every command),
    and, run without a subcommand, runs rpk's -X hook, then prints its help (exit 0)."""

    rpk_alias_of: str | None = None

    def get_params(self, ctx):
        params = super().get_params(ctx)
        if ctx.parent is None:  # the root declares the persistent flags itself
            return params
        return [*params, *group_params()]

    def parse_args(self, ctx, args):
        rest = super().parse_args(ctx, args)
        if not ctx._protected_args and ctx.parent is not None:
            self.without_subcommand(ctx)
        return rest

    def without_subcommand(self, ctx) -> None:
        """rpk gives every group a Run: the -X hook, then the group's help."""
        handle_x_help(pending_x(ctx))
        typer.echo(help_text(*self.shown(ctx)), nl=False)
        raise typer.Exit(0)

    def invoke(self, ctx):
        if ctx.parent is not None:
            absorb_group_flags(ctx)
        return super().invoke(ctx)

    def resolve_command(self, ctx, args):
        cmd = self.get_command(ctx, args[0]) if args else None
        if args and cmd is None and not args[0].startswith("-"):
            self.refuse_arguments(
                ctx, args[1:], f'unknown command "{args[0]}" for "{ctx.command_path}"'
            )
        return super().resolve_command(ctx, args)

    def refuse_arguments(self, ctx, rest: list[str], message: str) -> NoReturn:
        """An Args error (cobra's NoArgs for a group), raised as cobra gets to it: after the
        flags that follow the argument are parsed (a flag error first) and rpk's -X hook ran."""
        parser = self.make_parser(ctx)
        parser.allow_interspersed_args = True
        try:
            opts = parser.parse_args(list(rest))[0]
        except Exception as exc:
            if not hasattr(exc, "format_message"):
                raise
            message = _cobra_message(self, ctx, exc, rest)
        else:
            handle_x_help(pending_x(ctx, opts.get(x_param_name(ctx)) or ()))
        raise CommandUsageError(message, usage_text(*self.shown(ctx)))


class ArgumentCommand(RpkCommand):
    """A hidden command that stands for one of rpk's positional arguments (a tuner name of
    `rpk redpanda tune`): `rpk help` does not walk into it, as rpk has no such command."""

    rpk_argument = True

    def shown(self, ctx) -> tuple[Any, Any]:
        return ctx.parent.command, ctx.parent  # rpk has only the parent: its help and usage


def find(root_ctx, names: list[str]) -> tuple[Any, Any]:
    """The command and context `names` lead to from the root, as cobra's Find walks them.

    The walk stops at the first name that is not a subcommand. rpk gives every command with
    subcommands and no Args cobra.NoArgs, so for rpk Find never fails: `rpk help bogus` is
    the root's help, `rpk help topic bogus` the topic group's.
    """
    cmd, ctx = root_ctx.command, root_ctx
    for name in names:
        sub = cmd.get_command(ctx, name) if isinstance(cmd, TyperGroup) else None
        if sub is None or getattr(sub, "rpk_argument", False):
            break
        cmd, ctx = sub, typer.Context(sub, info_name=name, parent=ctx)
    return cmd, ctx


def alias_class(base: type, target: str) -> type:
    """A hidden alias's class: it knows the command it stands for (for the Aliases section)."""
    return type(f"{base.__name__}Alias", (base,), {"rpk_alias_of": target})


def apply(app: typer.Typer) -> None:
    """Give every command and group under `app` the rpk help classes (unless they set one)."""
    for info in app.registered_commands:
        if info.cls in (None, TyperCommand) or isinstance(info.cls, DefaultPlaceholder):
            info.cls = RpkCommand
    for group in app.registered_groups:
        sub = group.typer_instance
        if sub is None:
            continue
        if isinstance(sub.info.cls, DefaultPlaceholder) or sub.info.cls is None:
            sub.info.cls = RpkGroup
        apply(sub)
    if isinstance(app.info.cls, DefaultPlaceholder) or app.info.cls is None:
        app.info.cls = RpkGroup
