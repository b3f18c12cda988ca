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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.config import xflags
from cli.config.params import Params, load_params
from cli.config.values import parse_bool, split_kv
from cli.errors import UsageError

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
        help="Redpanda or rpk config file; default search paths are ~/.config/rpk/rpk.yaml, "
        "$PWD/redpanda.yaml, and /etc/redpanda/redpanda.yaml.",
    ),
]
ProfileOpt = Annotated[Optional[str], typer.Option("--profile", help="rpk profile to use.")]
VerboseOpt = Annotated[bool, typer.Option("-v", "--verbose", help="Enable verbose logging.")]
BrokersOpt = Annotated[Optional[list[str]], typer.Option("--brokers", hidden=True)]
AdminUrlOpt = Annotated[Optional[list[str]], typer.Option("--api-urls", "--admin-url", hidden=True)]
FormatOpt = Annotated[str, typer.Option("--format", help="Output format: json, yaml, text.")]


@dataclass(frozen=True)
class GlobalFlags:
    x: tuple[str, ...] = ()
    config: Path | None = None
    profile: str | None = None
    verbose: bool = False

    def merged(self, later: GlobalFlags) -> GlobalFlags:
        return GlobalFlags(
            x=self.x + later.x,
            config=later.config or self.config,
            profile=later.profile or self.profile,
            verbose=self.verbose or later.verbose,
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


def make_flags(x, config, profile, verbose, brokers=None, admin_urls=None) -> GlobalFlags:
    """Turn raw flag values into GlobalFlags; hidden back-compat flags become -X overrides."""
    extra = [f"brokers={','.join(brokers)}"] if brokers else []
    extra += [f"admin.hosts={','.join(admin_urls)}"] if admin_urls else []
    return GlobalFlags(
        x=tuple(x or ()) + tuple(extra), config=config, profile=profile, verbose=verbose
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
        except UsageError as exc:
            raise UsageError(f'invalid argument "{text}" for "{flag}" flag: {exc}') from None
    return value, rest


def reject_flags(args: list[str]) -> None:
    """Unknown options that GO_BOOL_CONTEXT let through are an error, as in rpk."""
    unknown = next((a for a in args if a.startswith("-") and a != "-"), None)
    if unknown is not None:
        raise UsageError(f"unknown flag: {unknown.partition('=')[0]}")


def handle_x_help(flags: GlobalFlags) -> None:
    """`-X help` and `-X list` print the key registry and exit 0."""
    wanted = {item.strip().lower() for item in flags.x}
    if "help" in wanted:
        typer.echo(xflags.render_help(), nl=False)
        raise typer.Exit(0)
    if "list" in wanted:
        typer.echo(xflags.render_list(), nl=False)
        raise typer.Exit(0)


def validate_x(items: tuple[str, ...]) -> None:
    """Reject malformed or unknown -X items up front, whether or not the command loads a profile."""
    for item in items:
        key, value = split_kv(item, "-X flag")
        xflags.convert(xflags.lookup(key), value)


def enter(ctx: typer.Context | None, flags: GlobalFlags) -> None:
    """Start (root) or extend (leaf) this invocation's global flags."""
    root_obj = ctx.find_root().obj if ctx is not None else None
    if isinstance(root_obj, GlobalFlags) and ctx is not None and ctx.parent is not None:
        flags = root_obj.merged(flags)
    if ctx is not None and ctx.parent is None:
        ctx.obj = flags
    handle_x_help(flags)
    validate_x(flags.x)
    _configure_logging(flags.verbose)
    _CURRENT.set(_Invocation(flags=flags))


def _configure_logging(verbose: bool) -> None:
    logger = logging.getLogger()
    if not verbose:
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s.%(msecs)03d  %(levelname)s  %(name)s  %(message)s", datefmt="%H:%M:%S"
        )
    )
    logger.handlers = [handler]
    logger.setLevel(logging.DEBUG)
    logging.getLogger("kafka").setLevel(logging.DEBUG)


_EXTRA = [
    ("gx_config_opt", XOpt, None),
    ("gx_config", ConfigOpt, None),
    ("gx_profile", ProfileOpt, None),
    ("gx_verbose", VerboseOpt, False),
    ("gx_brokers", BrokersOpt, None),
    ("gx_admin_urls", AdminUrlOpt, None),
]


def with_globals(func: Callable) -> Callable:
    """Add rpk's persistent flags to a leaf command; they take effect before `func` runs."""
    sig = inspect.signature(func, eval_str=True)
    extra = [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=a, default=d)
        for n, a, d in _EXTRA
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
        values = [kwargs.pop(name) for name, _, _ in _EXTRA]
        enter(ctx, make_flags(*values))
        return func(*args, **kwargs)

    params_ = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY) if p.kind == p.POSITIONAL_OR_KEYWORD else p
        for p in sig.parameters.values()
    ]
    wrapper.__signature__ = sig.replace(parameters=[*params_, *extra])
    wrapper.__annotations__ = {}
    del wrapper.__wrapped__
    return wrapper
