"""Two ways to run rpk in tests: in this process through `cli.main.main` (the default: fast, and
the same entry point, error lines and exit codes as the `rpk` script), or as a real subprocess
(for what only a process shows: stdin piping, signals, the interpreter's exit code)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import typer
from typer.testing import CliRunner
from typer.testing import Result as ClickResult

REPO = Path(__file__).resolve().parents[2]
RPK_TIMEOUT_S = 60


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment without RPK_*/REDPANDA_* variables, with HOME under `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RPK_", "REDPANDA_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    return env


def rpk_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli.main", *args]


def run_subprocess(
    args: list[str],
    home: Path,
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    cwd: Path | None = None,
) -> Result:
    full_env = clean_env(home)
    full_env.update(env or {})
    data = input.encode() if isinstance(input, str) else input
    proc = subprocess.run(
        rpk_command(*args),
        input=data,
        capture_output=True,
        env=full_env,
        timeout=RPK_TIMEOUT_S,
        cwd=cwd or REPO,
    )
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def run_in_process(
    args: list[str],
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    cwd: Path | None = None,
) -> Result:
    """`rpk ARGS` through cli.main.main with stdin, stdout, stderr and `env` swapped in."""
    from cli.main import main

    previous_cwd = os.getcwd()
    with CliRunner().isolation(input=input, env=env) as (out, err, _):
        try:
            if cwd is not None:
                os.chdir(cwd)
            try:
                code = main(list(args))
            except SystemExit as exc:  # shell completion and sys.exit() end this way
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            os.chdir(previous_cwd)
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return Result(code, stdout, stderr)


@contextlib.contextmanager
def rpk_process(
    args: list[str], home: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """A running `rpk ARGS` (stdout/stderr piped); killed on the way out if it is still running."""
    proc = subprocess.Popen(
        rpk_command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**clean_env(home), **(env or {})},
        cwd=REPO,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def interrupt(proc: subprocess.Popen, timeout_s: float = 30) -> tuple[bytes, bytes]:
    """Ctrl-C: SIGINT, then wait for the process to end; returns (stdout, stderr)."""
    proc.send_signal(signal.SIGINT)
    return proc.communicate(timeout=timeout_s)


def admin_env(admin_url: str, home: Path, **extra: str) -> dict[str, str]:
    """The environment of an rpk run against the Admin API at `admin_url`, with HOME at `home`."""
    return {
        "RPK_ADMIN_HOSTS": admin_url.removeprefix("http://"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
        **extra,
    }


def typer_runner(root: typer.Typer, env: Mapping[str, str]) -> Callable[..., ClickResult]:
    """`run(*args, **extra_env)`: invoke a (throwaway) Typer root through CliRunner."""

    runner = CliRunner()

    def run(*args: str, **extra_env: str) -> ClickResult:
        return runner.invoke(root, list(args), env={**env, **extra_env})

    return run
