"""`rpk redpanda admin config print|dump|list|ls|display` and `config log-level set`, sent to
the one broker `--host` names (a host, or an index into the profile's admin addresses)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli._app import add_command, new_group
from cli.clients.admin import AdminClient
from cli.clients.admin._http import AdminApiError
from cli.errors import CliError, FlagError
from cli.options import params, with_globals
from cli.output import go_json
from cli.pick import PickError, pick

LOGGERS = (
    "admin_api_server",
    "cluster",
    "kafka",
    "main",
    "pandaproxy",
    "raft",
    "rpc",
    "schemaregistry",
    "security",
    "storage",
    "tx",
)
PICK_QUESTION = "Which logger would you like to set (all selects everything)?"
HostOpt = Annotated[
    str,
    typer.Option(
        "--host",
        help="either a hostname or an index into rpk.admin_api.addresses config section to "
        "select the hosts to issue the request to",
    ),
]


def host_client(host: str) -> AdminClient:
    """rpk's NewHostClient: `host` is an index into the admin addresses, or a host."""
    if host == "":
        raise FlagError('required flag(s) "host" not set')
    p = params()
    addresses = list(p.admin_urls)
    if host.lstrip("-").isdigit():
        i = int(host)
        if not 0 <= i < len(addresses):
            raise CliError(
                f"unable to initialize admin client: admin host {i} is out of allowed range "
                f"[0, {len(addresses)})"
            )
        url = addresses[i]
    else:
        url = host if ":" in host.split("//")[-1] else f"{host}:9644"
    auth = (p.sasl.user, p.sasl.password) if p.sasl and p.sasl.user else None
    timeout_s = p.seconds("dial_timeout") + p.seconds("request_timeout_overhead")
    return AdminClient([url], auth=auth, timeout_s=timeout_s)


@with_globals
def config_print(host: HostOpt = "") -> None:
    """Display the current Redpanda configuration."""
    client = host_client(host)
    try:
        conf = client.get_json("/v1/cluster_config", {"include_defaults": "true"})
    except CliError as exc:
        raise CliError(f"unable to request configuration: {exc}") from None
    print(go_json(conf, indent="  ", sort_keys=True))  # Go: MarshalIndent(conf, "", "  ")


@with_globals
def log_level_set(
    loggers: Annotated[Optional[list[str]], typer.Argument(metavar="LOGGERS")] = None,
    level: Annotated[
        str,
        typer.Option("-l", "--level", help="log level to set (error, warn, info, debug, trace)"),
    ] = "debug",
    expiry_seconds: Annotated[
        int,
        typer.Option(
            "-e",
            "--expiry-seconds",
            help="seconds to persist this log level override before redpanda reverts to its "
            "previous settings (if 0, persist until shutdown)",
        ),
    ] = 300,
    host: HostOpt = "",
) -> None:
    """Set broker logger's log level.

    This command temporarily changes a broker logger's log level. Each Redpanda broker has
    many loggers, and each can be individually changed. Any change to a logger persists for a
    limited amount of time, so as to ensure you do not accidentally enable debug logging
    permanently.

    It is optional to specify a logger; if you do not, this command will prompt from the set
    of available loggers (on a terminal: type part of a name, Enter picks the first match;
    from a pipe, its first line is read the same way).

    The special logger "all" enables all loggers. Alternatively, you can specify many loggers
    at once. This command accepts loggers that it does not know of; the success or failure of
    enabling each logger is individually printed.
    """
    client = host_client(host)
    names = list(loggers or [])
    if not names:
        try:
            choice = pick(["all", *LOGGERS], PICK_QUESTION)
        except PickError as exc:
            raise CliError(f"unable to pick logger: {exc}") from None
        names = [choice]
    if names == ["all"]:
        names = list(LOGGERS)
    successes, failures = [], []
    for name in names:
        try:
            client.send_any(
                "PUT",
                f"/v1/config/log_level/{name}",
                params={"level": level, "expires": str(expiry_seconds)},
            )
            successes.append(name)
        except AdminApiError as exc:
            failures.append(f"{name}: {exc.message}")
        except CliError as exc:
            failures.append(f"{name}: {exc}")
    if successes:
        print("SUCCESSES\n" + "\n".join(successes) + "\n")
    if failures:
        print("FAILURES\n" + "\n".join(failures) + "\n")


def register(parent: typer.Typer) -> None:
    app = new_group("config", "View or modify Redpanda configuration through the admin listener.")
    add_command(app, config_print, "print", aliases=("dump", "list", "ls", "display"))
    log_level = new_group("log-level", "Manage a broker's log level.")
    add_command(log_level, log_level_set, "set")
    app.add_typer(log_level, name="log-level")
    parent.add_typer(app, name="config")
