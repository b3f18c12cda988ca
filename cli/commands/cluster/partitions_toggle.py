"""`rpk cluster partitions enable|disable [TOPIC] (--all | -p [ns/][topic/]p1,p2...)`
(Admin API POST /v1/cluster/partitions/{ns}/{topic}[/{partition}] {"disabled": bool}).

As rpk (src/go/rpk/pkg/cli/cluster/partitions/toggle.go): `--all` toggles every partition of
the TOPIC argument; each `-p` names partitions, with the topic in the flag or as the argument
(not both); the namespace defaults to "kafka". The first failure ends the command (exit 1).

Registered by the `cluster partitions` group (OTHER_MODULES).
"""

from __future__ import annotations

import re
from typing import Annotated, Optional
from urllib.parse import quote

import typer

from cli._app import add_command
from cli.clients.admin import AdminClient, from_profile
from cli.errors import CliError
from cli.options import with_globals

# {namespace}/{topic}/[partitions...], namespace and topic optional (rpk's ParsePartitionString)
_PARTITIONS = re.compile(r"^(?:(?:([^/]+)/)?([^/]+)/)?(\d+(?:,\d+)*)$")
_PARTITIONS_HELP = {
    "enable": "Comma-separated list of partitions you want to enable. Check help for extended usage",
    "disable": "Comma-separated list of partitions you want to disable. Use --help for "
    "additional information",
}


def parse_partitions(ntp: str) -> tuple[str, str, list[int]]:
    m = _PARTITIONS.match(ntp)
    if m is None:
        raise CliError(f'unable to parse "{ntp}": wrong format')
    return m.group(1) or "kafka", m.group(2) or "", [int(p) for p in m.group(3).split(",")]


def ns_topic(name: str) -> tuple[str, str]:
    parts = name.split("/", 1)
    return ("kafka", parts[0]) if len(parts) == 1 else (parts[0], parts[1])


def _post(client: AdminClient, ns: str, topic: str, partition: int | None, disabled: bool):
    path = f"/v1/cluster/partitions/{quote(ns, safe='')}/{quote(topic, safe='')}"
    if partition is not None:
        path += f"/{partition}"
    client.send_any("POST", path, json={"disabled": disabled})


def run_toggle(
    client: AdminClient, all_: bool, topic_arg: str, flags: list[str], verb: str
) -> None:
    disabled = verb == "disable"
    if all_:
        ns, topic = ns_topic(topic_arg)
        try:
            _post(client, ns, topic, None, disabled)
        except CliError as exc:
            raise CliError(
                f"failed to {verb} all partitions in topic {ns}/{topic}: {exc}"
            ) from None
        return
    targets = []
    for ntp in flags:
        ns, topic, partitions = parse_partitions(ntp)
        if topic and topic_arg:
            raise CliError(
                "unable to run the command: topic cannot be specified both as an argument "
                "and in the --partition flag"
            )
        if not topic:
            if not topic_arg:
                raise CliError(
                    "unable to run the command: you must specify the topic either as an "
                    "argument or in the --partition flag"
                )
            topic = topic_arg
        targets += [(ns, topic, p) for p in partitions]
    for ns, topic, p in targets:
        try:
            _post(client, ns, topic, p, disabled)
        except CliError as exc:
            raise CliError(f"failed to {verb} partition {p} in topic {ns}/{topic}: {exc}") from None


def _toggle(verb: str, topic_arg: str, partitions: list[str] | None, all_: bool) -> None:
    if all_ and partitions:
        raise CliError(
            "if any flags in the group [partitions all] are set none of the others can be; "
            "[all partitions] were all set"
        )
    if not all_ and not partitions:
        typer.echo(
            f"Please select either specific partitions to {verb} (--partitions) "
            "or select all (--all)."
        )
        raise typer.Exit(1)
    if all_ and not topic_arg:
        typer.echo("You must select a topic.")
        raise typer.Exit(1)
    run_toggle(from_profile(), all_, topic_arg, partitions or [], verb)
    done = "enabled" if verb == "enable" else "disabled"
    if all_:
        typer.echo(f"Successfully {done} all partitions in topic {topic_arg}")
    else:
        typer.echo(f"Successfully {done} the partitions [{' '.join(partitions or [])}]")


TopicArg = Annotated[str, typer.Argument(metavar="TOPIC", show_default=False)]


@with_globals
def enable(
    topic_arg: TopicArg = "",
    partitions: Annotated[
        Optional[list[str]], typer.Option("-p", "--partitions", help=_PARTITIONS_HELP["enable"])
    ] = None,
    all_: Annotated[
        bool,
        typer.Option("-a", "--all", help="If true, enable all partitions for the specified topic"),
    ] = False,
) -> None:
    """Enable partitions of a topic.

    You may enable all partitions of a topic using the --all flag or you may select a set of
    topic/partitions to enable with the '--partitions/-p' flag. The partition flag accepts the
    format {namespace}/{topic}/[partitions...] where namespace and topic are optional: the
    namespace defaults to 'kafka', the topic to the TOPIC argument.

        rpk cluster partitions enable foo --all
        rpk cluster partitions enable internal/bar --partitions 1,2,3
        rpk cluster partitions enable -p foo/1,2 -p internal/bar/5
    """
    _toggle("enable", topic_arg, partitions, all_)


@with_globals
def disable(
    topic_arg: TopicArg = "",
    partitions: Annotated[
        Optional[list[str]], typer.Option("-p", "--partitions", help=_PARTITIONS_HELP["disable"])
    ] = None,
    all_: Annotated[
        bool,
        typer.Option("-a", "--all", help="If true, disable all partitions for the specified topic"),
    ] = False,
) -> None:
    """Disable partitions of a topic.

    You may disable all partitions of a topic using the --all flag or you may select a set of
    topic/partitions to disable with the '--partitions/-p' flag (format as for `enable`).

    A disabled partition keeps its data on disk, but Produce and Fetch to it answer
    REPLICA_NOT_AVAILABLE and Metadata lists it without a leader, until it is enabled again.

        rpk cluster partitions disable foo --all
        rpk cluster partitions disable internal/bar --partitions 1,2,3
        rpk cluster partitions disable -p foo/1,2 -p internal/bar/5
    """
    _toggle("disable", topic_arg, partitions, all_)


def register(partitions_app: typer.Typer) -> None:
    add_command(partitions_app, enable, "enable")
    add_command(partitions_app, disable, "disable")
