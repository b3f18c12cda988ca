"""`rpk version` (rpk's block, then the cluster's broker versions) and `rpk --version`."""

from __future__ import annotations

import datetime as dt
import logging
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import typer

from cli import options
from cli.clients.admin import AdminClient
from cli.errors import CliError

HELP = """Prints the current rpk and Redpanda version.

This command prints the current rpk version and allows you to list the Redpanda
version running on each node in your cluster.

To list the Redpanda version of each node in your cluster you may pass the
Admin API hosts using flags, profile, or environment variables.

To get only the rpk version, use 'rpk --version'.

This rpk is written in Python: the 'Go version' line, kept under rpk's label for
scripts that read it, names the runtime it runs on instead (for example
cpython3.11.7), not a Go release."""
UNREACHABLE = """  Unreachable, to debug, use the '-v' flag. To get the broker versions, pass the
  hosts via flags, profile, or environment variables:
    rpk version -X admin.hosts=<host address>

  To get only the rpk version, use 'rpk --version'."""
BROKERS_TIMEOUT_S = 3.0  # rpk: ClientTimeout(3s)
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "i686": "386"}
_REPO = Path(__file__).resolve().parents[2]
log = logging.getLogger("rpk")


def package_version() -> str:
    try:
        return metadata.version("ailurus")
    except metadata.PackageNotFoundError:
        return "dev"


def git_ref() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(_REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=2,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def build_date() -> str:
    """When this rpk was installed (the package metadata's time), RFC 3339 as rpk's build time."""
    try:
        files = metadata.distribution("ailurus").files or []
        stamp = Path(str(files[0].locate())).stat().st_mtime if files else None
    except (metadata.PackageNotFoundError, OSError, IndexError):
        stamp = None
    if stamp is None:
        return ""
    return dt.datetime.fromtimestamp(int(stamp), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pretty() -> str:
    """`rpk --version`: rpk's `<version> (rev <ref>)`."""
    return f"v{package_version()} (rev {git_ref()})"


def rpk_block() -> str:
    os_arch = f"{sys.platform}/{_ARCH.get(platform.machine(), platform.machine())}"
    runtime = f"{platform.python_implementation().lower()}{platform.python_version()}"
    return (
        f"Version:     v{package_version()}\n"
        f"Git ref:     {git_ref()}\n"
        f"Build date:  {build_date()}\n"
        f"OS/Arch:     {os_arch}\n"
        f"Go version:  {runtime}"  # rpk's label, runtime.Version()'s form: honest runtime
    )


def broker_versions() -> list[tuple[int, str]]:
    """(node id, version) of each broker the Admin API lists as alive-or-not; [] if unreachable."""
    try:
        p = options.params()
        auth = (p.sasl.user, p.sasl.password) if p.sasl and p.sasl.user else None
        urls = list(p.admin_urls) or ["127.0.0.1:9644"]
        client = AdminClient(urls, auth=auth, timeout_s=BROKERS_TIMEOUT_S)
        brokers = client.get_json("/v1/brokers")
    except (CliError, ValueError) as exc:
        if options.current().verbose:  # rpk logs it only with -v
            log.error("unable to request broker info: %s", exc)
        return []
    return [(b["node_id"], b.get("version", "")) for b in brokers if "is_alive" in b]


def version_cmd() -> None:
    """Prints the current rpk and Redpanda version."""
    typer.echo(rpk_block())
    typer.echo()
    typer.echo("Redpanda Cluster")
    rows = broker_versions()
    if not rows:
        typer.echo(UNREACHABLE)
    for node_id, version in rows:
        typer.echo(f"  node-{node_id}  {version}")


def register(app: typer.Typer) -> None:
    app.command("version", help=HELP)(options.with_globals(version_cmd))
