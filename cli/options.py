"""Global flags shared by every command (-X, --config, --profile, -v) and common option aliases.

rpk's global flags are persistent: they may appear before or after the subcommand. The root
callback takes them before it; `with_globals` adds the same flags to each leaf command for
after it. Both end up in one `GlobalFlags` per invocation, read through `current()`/`params()`.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Optional

import typer
import typer.main

from cli.config import xflags
from cli.config.params import Params, load_params
from cli.config.values import parse_bool, split_kv
from cli.errors import CommandUsageError, FlagError, UsageError

XOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "-X",
        "--config-opt",
        metavar="key=value",
        help="Override rpk configuration settings; '-X help' for detail or '-X list' for terser detail.",
    ),
]
ConfigOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--config",
        metavar="PATH",
        help="Redpanda or rpk config file; default search paths are {rpk.yaml}, "
        "$PWD/redpanda.yaml, and /etc/redpanda/redpanda.yaml",
    ),
]
ProfileOpt = Annotated[Optional[str], typer.Option("--profile", help="rpk profile to use.")]
VerboseOpt = Annotated[bool, typer.Option("-v", "--verbose", help="Enable verbose logging.")]
_ListOpt = Optional[list[str]]
_StrOpt = Optional[str]
# rpk's hidden back-compat flags, each turned into the -X key it stands for (rpk's
# backcompatFlagsToOverrides): they come before the -X items, so an explicit -X wins.
BACKCOMPAT = [
    ("gx_brokers", _ListOpt, ("--brokers",), "brokers"),
    ("gx_user", _StrOpt, ("--user",), "user"),
    ("gx_password", _StrOpt, ("--password",), "pass"),
    ("gx_sasl_mechanism", _StrOpt, ("--sasl-mechanism",), "sasl.mechanism"),
    ("gx_tls_enabled", bool, ("--tls-enabled",), "tls.enabled"),
    ("gx_tls_truststore", _StrOpt, ("--tls-truststore",), "tls.ca"),
    ("gx_tls_cert", _StrOpt, ("--tls-cert",), "tls.cert"),
    ("gx_tls_key", _StrOpt, ("--tls-key",), "tls.key"),
    ("gx_admin_urls", _ListOpt, ("--api-urls", "--hosts", "--admin-url"), "admin.hosts"),
    ("gx_admin_tls_enabled", bool, ("--admin-api-tls-enabled",), "admin.tls.enabled"),
    ("gx_admin_tls_truststore", _StrOpt, ("--admin-api-tls-truststore",), "admin.tls.ca"),
    ("gx_admin_tls_cert", _StrOpt, ("--admin-api-tls-cert",), "admin.tls.cert"),
    ("gx_admin_tls_key", _StrOpt, ("--admin-api-tls-key",), "admin.tls.key"),
]
# rpk's InstallFormatFlag usage text (its formatter's SupportedFormats)
FORMAT_HELP = "Output format (json,yaml,text,wide,help)"
FormatOpt = Annotated[str, typer.Option("--format", help=FORMAT_HELP)]


@dataclass(frozen=True)
class GlobalFlags:
    x: tuple[str, ...] = ()
    config: Path | None = None
    profile: str | None = None
    verbose: bool = False
    # the -X items as given, in command-line order (rpk's FlagOverrides): `x` without the
    # hidden back-compat flags' items, which rpk turns into overrides only when it loads
    given_x: tuple[str, ...] = ()

    def merged(self, later: GlobalFlags) -> GlobalFlags:
        return GlobalFlags(
            x=self.x + later.x,
            config=later.config or self.config,
            profile=later.profile or self.profile,
            verbose=self.verbose or later.verbose,
            given_x=self.given_x + later.given_x,
        )


@dataclass
class _Invocation:
    flags: GlobalFlags = field(default_factory=GlobalFlags)
    params: Params | None = None


_CURRENT: contextvars.ContextVar[_Invocation] = contextvars.ContextVar("rpk_invocation")


def current() -> GlobalFlags:
    return _CURRENT.get(_Invocation()).flags


def params() -> Params:
    """The loaded profile for this invocation (flags > env > profile), loaded once."""
    inv = _CURRENT.get(None)
    if inv is None:
        inv = _Invocation()
        _CURRENT.set(inv)
    if inv.params is None:
        flags = inv.flags
        inv.params = load_params(flags.config, flags.profile, flags.x)
    return inv.params


def backcompat_overrides(values: dict[str, object]) -> list[str]:
    """The -X items for the hidden back-compat flags that were given."""
    out = []
    for name, _, _, key in BACKCOMPAT:
        value = values.get(name)
        if isinstance(value, list):
            value = ",".join(v for item in value for v in item.split(",") if v)
        elif value is True:
            value = "true"
        if value:
            out.append(f"{key}={value}")
    return out


def make_flags(x, config, profile, verbose, **backcompat) -> GlobalFlags:
    """Turn raw flag values into GlobalFlags; hidden back-compat flags become -X overrides."""
    extra = backcompat_overrides(backcompat)
    return GlobalFlags(
        x=tuple(extra) + tuple(x or ()),
        config=config,
        profile=profile,
        verbose=bool(verbose),
        given_x=tuple(x or ()),
    )


GO_BOOL_CONTEXT = {"ignore_unknown_options": True}


def take_go_bool(args: list[str], flag: str, default: bool) -> tuple[bool, list[str]]:
    """A pflag bool `--flag[=BOOL]` taken from args by hand; returns (value, the other args).

    pflag bools take an optional `=value` (`--pretty-print=false`), which Typer cannot
    declare. The command leaves the flag undeclared under GO_BOOL_CONTEXT (unknown options
    reach its arguments), takes it from here, then rejects what is left with `reject_flags`.
    """
    value, rest = default, []
    for arg in args:
        name, sep, text = arg.partition("=")
        if name != flag:
            rest.append(arg)
            continue
        try:
            value = parse_bool(text) if sep else True
        except UsageError:
            raise FlagError(
                f'invalid argument "{text}" for "{flag}" flag: '
                f'strconv.ParseBool: parsing "{text}": invalid syntax'
            ) from None
    return value, rest


def reject_flags(args: list[str]) -> None:
    """Unknown options that GO_BOOL_CONTEXT let through are an error, as in rpk."""
    unknown = next((a for a in args if a.startswith("-") and a != "-"), None)
    if unknown is not None:
        name = unknown.partition("=")[0]
        if name.startswith("--"):
            raise FlagError(f"unknown flag: {name}")
        raise FlagError(f"unknown shorthand flag: '{name[1:2]}' in {name}")


def config_path(default: str) -> str:
    """The global --config path (redpanda.yaml for the local commands), or `default`."""
    given = current().config
    return str(given) if given is not None else default


X_HOOK_VALUES = ("help", "list")


def wants_x_help(items: Sequence[str]) -> bool:
    """rpk's -X hook looks at the first -X item only, and only at `help` or `list` as typed."""
    return bool(items) and items[0] in X_HOOK_VALUES


def handle_x_help(items: Sequence[str]) -> None:
    """rpk's -X hook (cobra runs it once flags are parsed, before the arguments are checked and
    before any command runs): a first -X item `help` or `list` prints the key registry, exit 0."""
    if not wants_x_help(items):
        return
    text = xflags.render_help() if items[0] == "help" else xflags.render_list()
    typer.echo(text, nl=False)
    raise typer.Exit(0)


def pending_x(ctx, later: Sequence[str] = ()) -> tuple[str, ...]:
    """The -X items of this command line so far: the root's and the groups' (gathered in the
    root context's GlobalFlags), this command's own parsed ones, then `later` ones."""
    root = ctx.find_root()
    before = root.obj.given_x if ctx is not root and isinstance(root.obj, GlobalFlags) else ()
    own = ctx.params.get(x_param_name(ctx)) or ()
    return (*before, *own, *later)


def x_param_name(ctx) -> str:
    """The name of -X's parameter: the root callback's own, or the one `with_globals` adds."""
    return "config_opt" if ctx.parent is None else "gx_config_opt"


def absorb_group_flags(ctx) -> None:
    """A group's persistent flags (given before its subcommand) join the invocation's, in
    command-line order, for the command that runs; the group has no use for them itself."""
    values = [ctx.params.pop(name, None) for name, _, _ in _GLOBALS]
    compat = {name: ctx.params.pop(name, None) for name, *_ in BACKCOMPAT}
    flags = make_flags(*values, **compat)
    root = ctx.find_root()
    root.obj = root.obj.merged(flags) if isinstance(root.obj, GlobalFlags) else flags


@functools.cache
def group_params() -> tuple:
    """The persistent flags as click parameters for a group (rpk's are on every command), the
    same ones `with_globals` gives each leaf."""
    app = typer.Typer(add_completion=False)

    @app.command()
    @with_globals
    def _flags() -> None:
        pass

    return tuple(typer.main.get_command(app).params)


def validate_x(items: tuple[str, ...]) -> None:
    """Reject malformed or unknown -X items up front, whether or not the command loads a profile."""
    for item in items:
        key, value = split_kv(item, "-X flag")
        xflags.convert(xflags.lookup(key), value)


def enter(ctx: typer.Context | None, flags: GlobalFlags, runs: bool = True) -> None:
    """Start (root) or extend (leaf) this invocation's global flags.

    `runs`: this command is the one that runs, not the root before its subcommand. rpk's -X
    hook and the -X checks are the running command's, after its own flags were parsed (a flag
    error comes first; a group run alone prints its help whatever -X says).
    """
    root_obj = ctx.find_root().obj if ctx is not None else None
    if isinstance(root_obj, GlobalFlags) and ctx is not None and ctx.parent is not None:
        flags = root_obj.merged(flags)
    if ctx is not None and ctx.parent is None:
        ctx.obj = flags
    if not runs:
        return
    handle_x_help(flags.given_x)
    validate_x(flags.x)
    _configure_logging(flags.verbose)
    _CURRENT.set(_Invocation(flags=flags))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is emitted (rpk may run in-process
    several times, each time with its own stderr)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _configure_logging(verbose: bool) -> None:
    logger = logging.getLogger()
    logger.handlers = [h for h in logger.handlers if not isinstance(h, _StderrHandler)]
    if not verbose:
        logger.setLevel(logging.WARNING)
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
        return
    handler = _StderrHandler()
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s.%(msecs)03d  %(levelname)s  %(name)s  %(message)s", datefmt="%H:%M:%S"
        )
    )
    logger.handlers.append(handler)
    logger.setLevel(logging.DEBUG)
    logging.getLogger("kafka").setLevel(logging.DEBUG)


_GLOBALS = [
    ("gx_config_opt", XOpt, None),
    ("gx_config", ConfigOpt, None),
    ("gx_profile", ProfileOpt, None),
    ("gx_verbose", VerboseOpt, False),
]
_EXTRA = _GLOBALS + [
    (name, Annotated[kind, typer.Option(*decls, hidden=True)], False if kind is bool else None)
    for name, kind, decls, _ in BACKCOMPAT
]


def _option_names(annotation) -> set[str]:
    names: set[str] = set()
    for meta in getattr(annotation, "__metadata__", ()):
        names.update(d for d in getattr(meta, "param_decls", ()) or () if d.startswith("-"))
        default = getattr(meta, "default", None)
        names.update(d for d in [default] if isinstance(default, str) and d.startswith("-"))
    return names


def with_globals(func: Callable) -> Callable:
    """Add rpk's persistent flags to a leaf command; they take effect before `func` runs.

    A flag the command declares itself (e.g. `security user create --password`) stays its own.
    """
    sig = inspect.signature(func, eval_str=True)
    own = set().union(*(_option_names(p.annotation) for p in sig.parameters.values()))
    taken = [n for n, a, _ in _EXTRA if _option_names(a) & own]
    extra = [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=a, default=d)
        for n, a, d in _EXTRA
        if n not in taken
    ]
    own_ctx = next((p.name for p in sig.parameters.values() if p.annotation is typer.Context), None)
    if (
        own_ctx is None
    ):  # Typer injects a single Context parameter; reuse the command's own if it has one
        extra.append(
            inspect.Parameter("gx_ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)
        )

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        ctx = kwargs[own_ctx] if own_ctx else kwargs.pop("gx_ctx")
        values = [kwargs.pop(name, None) for name, _, _ in _GLOBALS]
        compat = {name: kwargs.pop(name, None) for name, *_ in BACKCOMPAT}
        enter(ctx, make_flags(*values, **compat))
        try:
            return func(*args, **kwargs)
        except FlagError as exc:  # as cobra: `Error: ...` and the usage
            from cli._help import usage_text

            shown = getattr(ctx.command, "shown", None)  # whose usage the command prints
            usage = usage_text(*shown(ctx)) if shown else usage_text(ctx.command, ctx)
            raise CommandUsageError(str(exc), usage) from None

    params_ = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY) if p.kind == p.POSITIONAL_OR_KEYWORD else p
        for p in sig.parameters.values()
    ]
    wrapper.__signature__ = sig.replace(parameters=[*params_, *extra])
    wrapper.__annotations__ = {}
    del wrapper.__wrapped__
    return wrapper
