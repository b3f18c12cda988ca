"""`rpk cluster partitions move [TOPICS...] -p [ns/]topic/partition:node[-core],...`:
`NAMESPACE TOPIC PARTITION OLD-REPLICAS NEW-REPLICAS ERROR`, then how many moves began.

As rpk: the replica count cannot change here; a core may only be named for a node the
partition already has; unchanged partitions are skipped ("No movements are required.").
Every broker here has one core, so a new node's replica is on core 0.
"""

from __future__ import annotations

import re
from typing import Annotated

import typer

from cli._app import add_command
from cli.clients.admin import AdminApiError, from_profile
from cli.commands.cluster.partitions._admin import get_partition, move_replicas, replicas_text
from cli.errors import CliError, UsageError
from cli.options import FORMAT_HELP, with_globals
from cli.output import check_format, print_structured, print_table

_NTP = re.compile(r"^((?:[^:]+/)?\d+):.*$")
_REPLICAS = re.compile(r"^[^:]+:(\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*)$")

HELP = """Move partition replicas across nodes / cores.

This command changes replica assignments for given partitions. By default, it
assumes the "kafka" namespace, but you can specify an internal namespace using
the "{namespace}/" prefix.

To move replicas, use the following syntax:

    rpk cluster partitions move foo --partition 0:1,2,3 -p 1:2,3,4

Here, the command assigns new replicas for partition 0 to brokers [1, 2, 3] and
for partition 1 to brokers [2, 3, 4] for the topic "foo".

Topic arguments are optional. For more control, you can specify the topic name
in the "--partition" flag:

    rpk cluster partitions move -p foo/0:1,2,3 -p kafka_internal/tx/0:1-0,2-0,3-0
"""


def extract_ntp(topic: str, flag: str) -> tuple[str, str, int]:
    m = _NTP.match(flag)
    if not m:
        raise UsageError(f"invalid format for {flag}; check --help text")
    before = m.group(1)
    if topic:
        if "/" in before:
            raise UsageError(
                f"unable to parse --partition {flag} with topic {topic!r}: providing a topic as "
                "an argument and in the --partition flag is not allowed"
            )
        ns, _, name = topic.rpartition("/")
        return ns or "kafka", name, int(before)
    parts = before.split("/")
    if len(parts) == 3:
        return parts[0], parts[1], int(parts[2])
    if len(parts) == 2:
        return "kafka", parts[0], int(parts[1])
    raise UsageError(f"invalid format for {flag}; check --help text")


def extract_replicas(flag: str, current: list[dict]) -> list[dict]:
    m = _REPLICAS.match(flag)
    if not m:
        raise UsageError(f"invalid format for {flag}; check --help text")
    wanted = m.group(1).split(",")
    if len(wanted) != len(current):
        raise CliError(
            f"cannot configure {flag}; cannot modify replication factor, current replica count: "
            f"{len(current)}; replica count requested: {len(wanted)}. You may use 'rpk topic "
            "alter-config [TOPIC] -s replication.factor=X' to modify the replication factor"
        )
    cores = {r["node_id"]: r.get("core", 0) for r in current}
    out = []
    for item in wanted:
        node, _, core = item.partition("-")
        if core and int(node) not in cores:
            raise CliError(
                f"node '{node}': this command does not support updating cores for replicas on "
                "new nodes"
            )
        out.append({"node_id": int(node), "core": int(core) if core else cores.get(int(node), 0)})
    return out


def _same(a: list[dict], b: list[dict]) -> bool:
    key = lambda r: (r["node_id"], r.get("core", 0))  # noqa: E731
    return sorted(map(key, a)) == sorted(map(key, b))


def _plan(client, flags: list[str], topics: list[str]) -> list[dict]:
    plan = []
    for flag in flags:
        for topic in topics or [""]:
            ns, name, partition = extract_ntp(topic, flag)
            try:
                current = get_partition(client, ns, name, partition)["replicas"]
            except AdminApiError as exc:
                raise CliError(
                    f"unable to parse new assignments: failed to parse the arguments: unable to "
                    f"get partition: {exc}"
                ) from None
            new = extract_replicas(flag, current)
            if not _same(current, new):
                plan.append(
                    {
                        "ns": ns,
                        "topic": name,
                        "partition_id": partition,
                        "old_replicas": current,
                        "new_replicas": new,
                    }
                )
    return sorted(plan, key=lambda a: (a["ns"], a["topic"], a["partition_id"]))


@with_globals
def partitions_move(
    topics: Annotated[list[str] | None, typer.Argument(help="Topics.")] = None,
    partition: Annotated[
        list[str] | None,
        typer.Option(
            "-p",
            "--partition",
            help="Topic partitions to move and new replica locations (repeatable)",
        ),
    ] = None,
    format_: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = ("text"),
) -> None:
    """Move partition replicas across nodes / cores."""
    fmt = check_format(format_)
    if not partition:
        raise UsageError('required flag(s) "partition" not set')
    client = from_profile()
    plan = _plan(client, partition, topics or [])
    if not plan:
        typer.echo("No movements are required.")
        return
    for item in plan:
        try:
            move_replicas(
                client, item["ns"], item["topic"], item["partition_id"], item["new_replicas"]
            )
        except AdminApiError as exc:
            item["error"] = exc.message
    if fmt != "text":
        print_structured(plan, fmt)
        return
    print_table(
        ["namespace", "topic", "partition", "old-replicas", "new-replicas", "error"],
        [
            [
                a["ns"],
                a["topic"],
                a["partition_id"],
                replicas_text(a["old_replicas"]),
                replicas_text(a["new_replicas"]),
                a.get("error", ""),
            ]
            for a in plan
        ],
    )
    successes = sum(1 for a in plan if not a.get("error"))
    if successes:
        typer.echo(
            f"\nSuccessfully began {successes} partition movement(s).\n\nCheck the movement "
            "status with 'rpk cluster partitions move-status' or see new assignments with 'rpk "
            "topic describe -p TOPIC'."
        )


def register(app: typer.Typer) -> None:
    add_command(app, partitions_move, "move", help=HELP)
