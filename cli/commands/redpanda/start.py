"""`rpk redpanda start`: write redpanda.yaml from flags, run the checks, launch the broker in the foreground."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli import options
from cli.commands.redpanda._yaml import StartFlags, apply_dev_container, apply_start_flags, section
from cli.config import redpanda_yaml
from cli.config.values import split_kv
from cli.errors import CliError, UsageError
from cli.options import with_globals

DEV_CONTAINER = "dev-container"
CHECK_FLAG = "--check"
START_CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}
START_EPILOG = (
    "Also: --check[=BOOL]  Run the system checks before starting (default true; "
    "--check=false skips them). Unknown flags are passed on to the broker."
)


def _opt(*names: str, env: str | None = None, help: str = "", kind: str | None = None):
    """`kind`: the pflag type rpk's --help names (its address flags are string slices)."""
    return typer.Option(*names, envvar=env, help=help, show_envvar=bool(env), metavar=kind)


@with_globals
def redpanda_start(
    ctx: typer.Context,
    kafka_addr: Annotated[
        Optional[str],
        _opt(
            "--kafka-addr",
            env="REDPANDA_KAFKA_ADDRESS",
            help="Kafka listeners: scheme://host:port|authn, comma separated.",
            kind="strings",
        ),
    ] = None,
    advertise_kafka_addr: Annotated[
        Optional[str],
        _opt(
            "--advertise-kafka-addr",
            env="REDPANDA_ADVERTISE_KAFKA_ADDRESS",
            help="Advertised Kafka listeners.",
            kind="strings",
        ),
    ] = None,
    rpc_addr: Annotated[
        Optional[str],
        _opt("--rpc-addr", env="REDPANDA_RPC_ADDRESS", help="Internal RPC address host:port."),
    ] = None,
    advertise_rpc_addr: Annotated[
        Optional[str],
        _opt(
            "--advertise-rpc-addr",
            env="REDPANDA_ADVERTISE_RPC_ADDRESS",
            help="Advertised RPC address.",
        ),
    ] = None,
    seeds: Annotated[
        Optional[str],
        _opt(
            "-s",
            "--seeds",
            env="REDPANDA_SEEDS",
            help="Seed servers host[:port], comma separated.",
            kind="strings",
        ),
    ] = None,
    node_id: Annotated[
        Optional[int], _opt("--node-id", help="This node's id (the broker assigns one when unset).")
    ] = None,
    pandaproxy_addr: Annotated[
        Optional[str],
        _opt(
            "--pandaproxy-addr",
            env="REDPANDA_PANDAPROXY_ADDRESS",
            help="HTTP proxy listeners.",
            kind="strings",
        ),
    ] = None,
    advertise_pandaproxy_addr: Annotated[
        Optional[str],
        _opt(
            "--advertise-pandaproxy-addr",
            env="REDPANDA_ADVERTISE_PANDAPROXY_ADDRESS",
            help="Advertised HTTP proxy listeners.",
            kind="strings",
        ),
    ] = None,
    schema_registry_addr: Annotated[
        Optional[str],
        _opt(
            "--schema-registry-addr",
            env="REDPANDA_SCHEMA_REGISTRY_ADDRESS",
            help="Schema registry listeners.",
            kind="strings",
        ),
    ] = None,
    mode: Annotated[
        Optional[str],
        typer.Option(
            "--mode", help="Mode sets well-known configuration properties: dev-container."
        ),
    ] = None,
    set_: Annotated[
        Optional[list[str]],
        typer.Option(
            "--set",
            help="Set a redpanda.yaml key=value (e.g. redpanda.auto_create_topics_enabled=true); repeatable.",
        ),
    ] = None,
) -> None:
    """Start the broker in the foreground, after writing redpanda.yaml from the flags."""
    flags = StartFlags(
        kafka_addr,
        advertise_kafka_addr,
        rpc_addr,
        advertise_rpc_addr,
        seeds,
        node_id,
        pandaproxy_addr,
        advertise_pandaproxy_addr,
        schema_registry_addr,
    )
    run_check, forwarded = take_check_flag(ctx.args)
    path = redpanda_yaml.write_target(options.current().config)
    doc = redpanda_yaml.load_or_default(path)
    mode = _effective_mode(doc, mode)
    if mode == DEV_CONTAINER:
        apply_dev_container(doc)
        run_check = False
        typer.echo(
            "WARNING: This is a setup for development purposes only; in this mode your clusters may "
            "run unrealistically fast and data can be corrupted any time your computer shuts down "
            "uncleanly.",
            err=True,
        )
    apply_start_flags(doc, flags)
    for item in set_ or []:
        key, value = split_kv(item, "--set value")
        redpanda_yaml.set_key(doc, key, redpanda_yaml.parse_value(value))
    redpanda_yaml.save(path, doc)
    if run_check:
        _system_check(doc)
    argv = [_broker_binary(), "--config", str(path), *_extra_args(doc, forwarded)]
    typer.echo("Starting redpanda...")
    typer.echo("Running:\n" + " ".join(argv))
    _run_foreground(argv)


def take_check_flag(args: list[str]) -> tuple[bool, list[str]]:
    """`--check[=BOOL]` (default true), a pflag bool; the other unknown args go on to the broker."""
    return options.take_go_bool(args, CHECK_FLAG, True)


def _effective_mode(doc: dict, mode: str | None) -> str | None:
    if mode is None:
        return DEV_CONTAINER if section(doc, "redpanda").get("developer_mode") is True else None
    if mode == "help":
        raise UsageError("available modes: dev-container")
    if mode != DEV_CONTAINER:
        raise UsageError(f'unrecognized mode "{mode}"; available modes: dev-container')
    return mode


def _system_check(doc: dict) -> None:
    from tuners.check import run_checks

    typer.echo("System check - STARTED")
    results = run_checks(doc, root="/")
    fatal = [r for r in results if getattr(r, "is_fatal_failure", False)]
    for result in fatal:
        typer.echo(
            f"  {result.description}: required {result.required}, current {result.current or result.error}",
            err=True,
        )
    if fatal:
        raise CliError("System check failed with fatal errors; use --check=false to start anyway")
    typer.echo("System check - PASSED")


def _broker_binary() -> str:
    sibling = Path(sys.executable).parent / "ailurus"
    found = str(sibling) if sibling.exists() else shutil.which("ailurus")
    if not found:
        raise CliError("unable to find the ailurus broker executable on PATH")
    return found


def _extra_args(doc: dict, unknown: list[str]) -> list[str]:
    extra = (doc.get("rpk") or {}).get("additional_start_flags") or []
    return [str(flag) for flag in extra] + list(unknown)


def _run_foreground(argv: list[str]) -> None:
    """Run the broker and wait; SIGINT/SIGTERM to rpk are passed on to it."""
    proc = subprocess.Popen(argv)
    forward = lambda signum, _frame: proc.send_signal(signum)  # noqa: E731
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    in_main_thread = _is_main_thread()
    if in_main_thread:
        for sig in previous:
            signal.signal(sig, forward)
    try:
        rc = proc.wait()
    finally:
        if in_main_thread:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    if rc not in (0, -signal.SIGTERM, -signal.SIGINT):
        raise CliError(f"redpanda exited with status {rc}")


def _is_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread() and os.getpid() > 0


def register(app: typer.Typer, hidden: bool = False) -> None:
    app.command("start", context_settings=START_CONTEXT, epilog=START_EPILOG, hidden=hidden)(
        redpanda_start
    )
