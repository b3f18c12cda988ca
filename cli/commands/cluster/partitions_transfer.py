"""`rpk cluster partitions transfer-leadership [TOPIC] -p [ns/]topic/partition:target` (Admin API).

As rpk: the partition's current leader is read from the Admin API, the broker with that id is
found among the admin hosts (each host's /v1/node_config names its node id, rpadmin's
BrokerIDToURL) and the transfer is posted to it; a failed transfer is printed on stdout and
the command still exits 0.

Registered by the `cluster partitions` group: `partitions_transfer.register(partitions_app)`.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

import typer

from cli._app import add_command
from cli.clients.admin import AdminClient, from_profile
from cli.errors import CliError
from cli.options import FORMAT_HELP, with_globals
from cli.output import check_format

_NTP = re.compile(r"^((?:[^:]+/)?\d+):(\d+)$")
SUCCESS = (
    "Successfully began the partition leadership transfer(s).\n\n"
    "Check the new leader assignment with 'rpk topic describe -p TOPIC'."
)


def _atoi(text: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(f'strconv.Atoi: parsing "{text}": invalid syntax')
    return int(text)


def extract_ntp_target(topic: str, ntp: str) -> tuple[str, str, int, str]:
    """(namespace, topic, partition, target) from `-p` (rpk's extractNTPTarget); with a
    topic argument the flag is `partition:target` and the namespace/topic come from it."""
    m = _NTP.match(ntp)
    if m is None:
        raise ValueError(f"invalid format for {ntp}")
    before, target = m.group(1), m.group(2)
    if topic:
        return "", "", _atoi(before), target
    parts = before.split("/")
    if len(parts) == 3:
        return parts[0], parts[1], _atoi(parts[2]), target
    if len(parts) == 2:
        return "kafka", parts[0], _atoi(parts[1]), target
    raise ValueError(f"invalid format for {ntp}")


def format_nt(topic: str) -> tuple[str, str]:
    parts = topic.split("/")
    return ("kafka", parts[0]) if len(parts) == 1 else (parts[0], parts[1])


def broker_url(client: AdminClient, node_id: int) -> str:
    """The admin URL of the broker `node_id` (each host's /v1/node_config says its id)."""
    errors = []
    for url in client.urls:
        host = AdminClient(
            [url], auth=client.auth, timeout_s=client.timeout_s, verify=client.verify
        )
        try:
            if int(host.get_json("/v1/node_config").get("node_id", -1)) == node_id:
                return url
        except (CliError, ValueError, AttributeError) as exc:
            errors.append(str(exc))
    detail = f": {errors[0]}" if errors else ""
    raise CliError(f"failed to map brokerID {node_id} to URL for admin API{detail}")


def transfer(
    client: AdminClient, source: int, ns: str, topic: str, partition: int, target: str
) -> None:
    try:
        url = broker_url(client, source)
    except CliError as exc:
        raise CliError(f"unable to get broker URL: {exc}") from None
    host = AdminClient([url], auth=client.auth, timeout_s=client.timeout_s, verify=client.verify)
    path = (
        f"/v1/partitions/{quote(ns, safe='')}/{quote(topic, safe='')}/{partition}"
        "/transfer_leadership"
    )
    host.send_any("POST", path, params={"target": target})


@with_globals
def transfer_leadership(
    topic_arg: Annotated[str, typer.Argument(metavar="[TOPIC]", show_default=False)] = "",
    partition: Annotated[
        str,
        typer.Option(
            "-p",
            "--partition",
            help="Topic-partition to transfer leadership and new leader location",
        ),
    ] = "",
    fmt: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "text",
) -> None:
    """Transfer partition leadership between brokers.

    You can transfer only one partition leader at a time:

        rpk cluster partitions transfer-leadership foo --partition 0:2

    transfers the leadership of partition "kafka/foo/0" to broker 2; the same with
    `--partition foo/0:2`. An internal namespace is given as a "{namespace}/" prefix.
    """
    if fmt.strip().lower() == "help":
        typer.echo("")
        return
    check_format(fmt, ("text", "json", "yaml", "wide", "long"))
    client = from_profile()
    try:
        ns, topic, index, target = extract_ntp_target(topic_arg, partition)
    except ValueError as exc:
        raise CliError(f"failed to extract topic/partition: {exc}\n") from None
    if topic_arg:
        ns, topic = format_nt(topic_arg)
    try:
        details = client.get_json(
            f"/v1/partitions/{quote(ns, safe='')}/{quote(topic, safe='')}/{index}"
        )
    except CliError as exc:
        raise CliError(f"failed to get partition details: {exc}\n") from None
    what = "leadership" if topic_arg else "leader"
    try:
        transfer(client, int(details.get("leader_id", -1)), ns, topic, index, target)
    except CliError as exc:
        typer.echo(f"failed to transfer the partition {what}: {exc}")
        return
    typer.echo(SUCCESS)


def register(partitions_app: typer.Typer) -> None:
    add_command(partitions_app, transfer_leadership, "transfer-leadership")
