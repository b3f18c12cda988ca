"""`rpk cluster partitions list|ls|describe [TOPICS...] [-a] [--disabled-only] [-p ids]
[-n ids] [--format]`: `NAMESPACE TOPIC PARTITION LEADER-ID REPLICA-CORE DISABLED`."""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Annotated

import typer

from cli._app import add_command
from cli.clients.admin import AdminApiError, from_profile
from cli.commands.cluster.partitions._admin import all_partitions, topic_partitions
from cli.errors import CliError, FlagError
from cli.options import with_globals
from cli.output import print_structured, print_table


def _ids(values: list[str] | None, flag: str) -> list[int] | None:
    """pflag's IntSlice: comma-separated strconv.Atoi values (None when the flag is absent)."""
    if values is None:
        return None
    out = []
    for value in values:
        for part in value.split(","):
            if not re.fullmatch(r"[+-]?[0-9]+", part):
                raise FlagError(
                    f'invalid argument "{value}" for "{flag}" flag: '
                    f'strconv.Atoi: parsing "{part}": invalid syntax'
                )
            out.append(int(part))
    return out


def _die_with_usage(ctx: typer.Context, message: str) -> CliError:
    """rpk's out.Die("...\n%v", cmd.UsageString()): the message, the usage, a blank line."""
    from cli._help import usage_text

    error = CliError(f"{message}\n{usage_text(ctx.command, ctx)}\n")
    error.multiline = True
    return error


def _go_order(p: dict) -> dict:
    """rpadmin.ClusterPartition as encoding/json and yaml.v3 write it: its field order,
    leader_id and disabled left out when absent, replicas deep-sorted (rpk's types.Sort)."""
    out: dict = {"ns": p["ns"], "topic": p["topic"], "partition_id": p["partition_id"]}
    if p.get("leader_id") is not None:
        out["leader_id"] = p["leader_id"]
    replicas = [{"node_id": r["node_id"], "core": r.get("core", 0)} for r in p["replicas"]]
    out["replicas"] = sorted(replicas, key=lambda r: (r["node_id"], r["core"]))
    if p.get("disabled") is not None:
        out["disabled"] = p["disabled"]
    return out


def go_quote(text: str) -> str:
    """Go's strconv.Quote (%q) for the texts here: backslash, quote and control characters
    escaped, printable characters kept."""
    named = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    out = []
    for char in text:
        if char in named:
            out.append(named[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def rpadmin_text(exc: AdminApiError) -> str:
    """rpadmin's HTTPResponseError text (its body re-encoded as our Admin API writes it)."""
    method, _, rest = str(exc).partition(" ")
    url = rest.partition(": ")[0]
    raw = json.dumps(exc.body) if exc.body is not None else exc.message
    known = exc.status in {s.value for s in HTTPStatus}
    status = HTTPStatus(exc.status).phrase if known else ""
    return f"request {method} {url} failed: {status}, body: {go_quote(raw)}\n"


def _die(message: str) -> CliError:
    """rpk's out.Die("%v", err): the text as it is, then a newline."""
    error = CliError(message + "\n")
    error.multiline = True
    return error


def topic_rows(client, ns: str, topic: str) -> list[dict]:
    """GET /v1/cluster/partitions/{ns}/{topic}; on a 404, rpk's fallback to the older
    /v1/partitions/{ns}/{topic} (no `disabled`), with rpk's errors for each."""
    try:
        return topic_partitions(client, ns, topic)
    except AdminApiError as exc:
        if exc.status != 404:
            raise _die(
                f"unable to query cluster partition metadata of topic {go_quote(topic)}: "
                f"{rpadmin_text(exc)}"
            ) from None
    try:
        found = client.get_json(f"/v1/partitions/{ns}/{topic}")
    except AdminApiError as exc:
        raise _die(
            f"unable to query partition metadata of topic {go_quote(topic)}: {rpadmin_text(exc)}"
        ) from None
    return [
        {
            "ns": p.get("ns", ns),
            "topic": p.get("topic", topic),
            "partition_id": p["partition_id"],
            "leader_id": p.get("leader_id", -1),
            "replicas": p.get("replicas") or [],
        }
        for p in found
    ]


# rpk's --format help of []rpadmin.ClusterPartition (config.formatType)
FORMAT_HELP = """[]{
  ns: string
  topic: string
  partition_id: int
  leader_id: *int,omitempty
  replicas: []{
    node_id: int
    core: int
  }
  disabled: *bool,omitempty
}"""


def _ns_topic(name: str) -> tuple[str, str]:
    ns, sep, topic = name.partition("/")
    return (ns, topic) if sep else ("kafka", name)


def _text(rows: list[dict]) -> None:
    table = []
    for p in rows:
        leader = p.get("leader_id")
        disabled = p.get("disabled")
        replicas = " ".join(f"{r['node_id']}-{r.get('core', 0)}" for r in p["replicas"])
        table.append(
            [
                p["ns"],
                p["topic"],
                p["partition_id"],
                "-" if leader is None else leader,
                f"[{replicas}]",
                "-" if disabled is None else str(disabled).lower(),
            ]
        )
    print_table(["namespace", "topic", "partition", "leader-id", "replica-core", "disabled"], table)


@with_globals
def partitions_list(
    ctx: typer.Context,
    topics: Annotated[list[str] | None, typer.Argument(help="Topics ([ns/]topic).")] = None,
    all_: Annotated[
        bool, typer.Option("-a", "--all", help="If true, list all partitions in the cluster")
    ] = False,
    disabled_only: Annotated[
        bool, typer.Option("--disabled-only", help="If true, list disabled partitions only")
    ] = False,
    partition: Annotated[
        list[str] | None,
        typer.Option(
            "-p",
            "--partition",
            help="List of comma-separated partitions IDs that you wish to filter the results with",
            metavar="ints",
        ),
    ] = None,
    node_ids: Annotated[
        list[str] | None,
        typer.Option(
            "-n",
            "--node-ids",
            help="List of comma-separated broker IDs that you wish to filter the results with",
            metavar="ints",
        ),
    ] = None,
    format_: Annotated[
        str,
        typer.Option("--format", help="Output format (json,yaml,text,wide,help)"),
    ] = ("text"),
) -> None:
    """List partitions in the cluster

    This commands lists the cluster-level metadata of all partitions in the cluster.
    It shows the current replica assignments on both brokers and CPU cores for given
    topics. By default, it assumes the "kafka" namespace, but you can specify an
    internal namespace using the "{namespace}/" prefix.

    The REPLICA-CORE column displayed in the output table contains a list of
    replicas assignments in the form of: <Node-ID>-<Core>.

    If the DISABLED column contains a '-' value, then it means you are running this
    command against a cluster that does not support the underlying API.

    ENABLED/DISABLED

    Disabling a partition in Redpanda involves prohibiting any data consumption or
    production to and from it. All internal processes associated with the partition
    are stopped, and it remains unloaded during system startup. This measure aims to
    maintain cluster health by preventing issues caused by specific corrupted
    partitions that may lead to Redpanda crashes. Although the data remains stored
    on disk, Redpanda ceases interaction with the disabled partitions to ensure
    system stability.

    You may disable/enable partition using 'rpk cluster partitions enable/disable'.

    EXAMPLES

    List all partitions in the cluster.
      rpk cluster partitions list --all

    List all partitions in the cluster, filtering for topic foo and bar.
      rpk cluster partitions list foo bar

    List partitions which replicas are assigned to brokers 1 and 2.
      rpk cluster partitions list foo --node-ids 1,2

    List only the disabled partitions.
      rpk cluster partitions list -a --disabled-only

    List all in json format.
      rpk cluster partition list -a --format json
    """
    fmt = format_.lower()
    if format_ == "help":
        typer.echo(FORMAT_HELP)
        return
    if not topics and not all_:
        typer.echo(ctx.get_help())
        return
    if topics and all_:
        raise _die_with_usage(ctx, "flag '--all' cannot be used with topic filters.")
    wanted, nodes = _ids(partition, "-p, --partition"), _ids(node_ids, "-n, --node-ids")
    client = from_profile()
    if all_:
        rows = all_partitions(client)
    else:
        rows = []
        for name in topics or []:
            if not name:
                raise _die_with_usage(ctx, "invalid empty topic")
            rows.extend(topic_rows(client, *_ns_topic(name)))
    if wanted is not None:
        rows = [p for p in rows if p["partition_id"] in wanted]
    if nodes:
        rows = [p for p in rows if all(n in {r["node_id"] for r in p["replicas"]} for n in nodes)]
    if disabled_only:
        rows = [p for p in rows if p.get("disabled")]
    rows = sorted(
        (_go_order(p) for p in rows), key=lambda p: (p["ns"], p["topic"], p["partition_id"])
    )
    if fmt in ("json", "yaml"):
        print_structured(rows if rows or fmt == "yaml" else None, fmt)  # a nil slice: null
        return
    if fmt not in ("text", "short", "wide", "long"):
        raise CliError(
            f'unable to print partitions in the required format "{format_}": '
            f'--format "{format_}" not supported'
        )
    _text(rows)


def register(app: typer.Typer) -> None:
    add_command(
        app,
        partitions_list,
        "list",
        aliases=("ls", "describe"),
        short_help="List partitions in the cluster",
    )
