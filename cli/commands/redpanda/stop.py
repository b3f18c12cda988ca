"""`rpk redpanda stop`: signal the broker named by `<data_directory>/pid.lock`."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import psutil
import typer

from cli import options
from cli.config import redpanda_yaml
from cli.config.values import parse_duration
from cli.errors import CliError
from cli.options import with_globals
from cli.output import progress


def pid_file(doc: dict) -> Path:
    data_dir = (doc.get("redpanda") or {}).get("data_directory") or "/var/lib/redpanda/data"
    return Path(data_dir) / "pid.lock"


def read_pid(path: Path) -> int:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise CliError(
            f"unable to find the redpanda pid file {path}: is redpanda running?"
        ) from None
    except OSError as exc:
        raise CliError(f"unable to read {path}: {exc.strerror}") from None
    if not text.isdigit():
        raise CliError(f"invalid pid file {path}: {text[:40]!r}")
    return int(text)


def stop_process(pid: int, timeout_s: float) -> str:
    """SIGTERM, wait `timeout_s`, then SIGKILL. Returns how the process ended."""
    try:
        proc = psutil.Process(pid)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
            return "terminated"
        except psutil.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=timeout_s)
            return "killed"
    except psutil.NoSuchProcess:
        return "gone"
    except psutil.AccessDenied:
        raise CliError(f"permission denied signalling process {pid}") from None
    except psutil.TimeoutExpired:
        raise CliError(f"process {pid} did not stop after SIGKILL") from None


@with_globals
def redpanda_stop(
    timeout: Annotated[
        str,
        typer.Option(
            "--timeout", help="How long to wait after SIGTERM before SIGKILL.", metavar="duration"
        ),
    ] = "5s",
) -> None:
    """Stop a local broker started with `rpk redpanda start`."""
    wait_s = parse_duration(timeout)
    path = redpanda_yaml.find_path(options.current().config) or redpanda_yaml.DEFAULT_PATH
    doc = redpanda_yaml.load_or_default(path)
    pid = read_pid(pid_file(doc))
    typer.echo(f"Stopping redpanda (pid {pid})...")
    with progress("Waiting for redpanda to stop"):
        outcome = stop_process(pid, wait_s)
    if outcome == "gone":
        typer.echo("Redpanda was not running.")
    elif outcome == "killed":
        typer.echo(f"Redpanda did not stop within {timeout} of SIGTERM; sent SIGKILL.")
    else:
        typer.echo("Redpanda stopped.")


def register(app: typer.Typer, hidden: bool = False) -> None:
    app.command("stop", hidden=hidden)(redpanda_stop)
