"""`rpk cluster txn list | describe | describe-producers` (Kafka ListTransactions,
DescribeTransactions, DescribeProducers), with rpk's columns, formats and messages.

ListTransactions goes to every broker (each answers for the ids it coordinates),
DescribeTransactions to each id's coordinator (FindCoordinator, key type 1), DescribeProducers
to each partition's leader.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Annotated, Any, Optional

import kafka.errors as kerr
import typer
from kafka.protocol.admin.transactions import (
    DescribeProducersRequest,
    DescribeTransactionsRequest,
    ListTransactionsRequest,
)

from cli import options, yaml_v3
from cli._app import add_command, add_group, new_group
from cli.clients import kafka as kc
from cli.errors import CliError
from cli.options import with_globals
from cli.output import check_format, go_json, print_table
from cli.views import topic_views

FORMATS = ("text", "json", "yaml", "long")
FormatOpt = Annotated[str, typer.Option("--format", help=options.FORMAT_HELP)]
KEY_TYPE_TRANSACTION = 1
TXN_HELP = """Information about transactions and transactional producers.

Transactions allow producing, or consume-modifying-producing, to Redpanda. The
consume-modify-produce loop is also referred to as EOS (exactly once semantics). This command
space helps shed a light on what is actually happening in clients and brokers while
transactions are in use.

Transaction states: Empty (no active transaction), Ongoing (a transaction has begun),
PrepareCommit (a commit is in progress), PrepareAbort (an abort is in progress),
PrepareEpochFence (the transactional ID is timing out), Dead (expired or not in use)."""


def _kind(fmt: str) -> str:
    return check_format("long" if fmt == "wide" else fmt, FORMATS)


def _emit(value: Any, kind: str) -> None:
    if kind == "json":
        print(go_json(value))
    else:
        print(yaml_v3.dump(value).rstrip())


def _send(admin, request, node_id: int | None = None):
    manager = admin._manager  # kafka-python's connection manager: sends any request
    return manager.run(manager.send, request, node_id)


def _brokers(admin) -> list[int]:
    manager = admin._manager
    manager.run(manager.cluster.refresh_metadata)
    return sorted(b.node_id for b in manager.cluster.brokers())


def _error(code: int) -> str | None:
    return None if code == 0 else kc.error_name(kerr.for_code(code))


def go_duration(ms: int) -> str:
    """Go's time.Duration String() of a whole number of milliseconds."""
    if ms == 0:
        return "0s"
    sign, ms = ("-", -ms) if ms < 0 else ("", ms)
    if ms < 1000:
        return f"{sign}{ms}ms"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds = f"{rest / 1000:.3f}".rstrip("0").rstrip(".")
    text = f"{seconds}s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    if hours:
        text = f"{hours}h{text}"
    return sign + text


def rfc3339_milli(ms: int) -> str:
    """Go's Format("2006-01-02T15:04:05.999Z") of time.UnixMilli(ms) (UTC here)."""
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    frac = f"{t.microsecond // 1000:03d}".rstrip("0")
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


# ---- list ---------------------------------------------------------------------------------


def list_transactions(admin) -> list[dict]:
    rows = []
    for node in _brokers(admin):
        response = _send(
            admin, ListTransactionsRequest(state_filters=[], producer_id_filters=[]), node
        )
        if response.error_code:
            raise CliError(f"ListTransactions: {_error(response.error_code)}")
        for s in response.transaction_states:
            rows.append(
                {
                    "broker": node,
                    "transaction_id": s.transactional_id,
                    "producer_id": s.producer_id,
                    "state": s.transaction_state,
                }
            )
    return sorted(rows, key=lambda r: (r["transaction_id"], r["broker"]))


@with_globals
@kc.kafka_command
def txn_list(fmt: FormatOpt = "text") -> None:
    """List transactions and their current states.

    This command lists all known transactions in the cluster, the producer ID for the
    transactional ID, and the and the state of the transaction. For information on what the
    columns in the output mean, see 'rpk cluster txn --help'.
    """
    kind = _kind(fmt)
    with kc.admin_session(options.params()) as admin:
        rows = list_transactions(admin)
    if kind in ("json", "yaml"):
        _emit(rows, kind)
        return
    print_table(
        ["coordinator", "transactional-id", "producer-id", "state"],
        [[r["broker"], r["transaction_id"], r["producer_id"], r["state"]] for r in rows],
    )


# ---- describe -----------------------------------------------------------------------------


def describe_transactions(admin, ids: list[str]) -> list[tuple[int, Any]]:
    """(coordinator, TransactionState) per id, sorted by id."""
    if not ids:
        ids = sorted({r["transaction_id"] for r in list_transactions(admin)})
    if not ids:
        return []
    coordinators = admin._manager.run(admin._find_coordinator_ids, ids, KEY_TYPE_TRANSACTION)
    by_node: dict[int, list[str]] = defaultdict(list)
    for tid in ids:
        by_node[coordinators[tid]].append(tid)
    out = []
    for node, wanted in by_node.items():
        response = _send(admin, DescribeTransactionsRequest(transactional_ids=wanted), node)
        for s in response.transaction_states:
            if s.error_code:
                raise CliError(
                    f"DescribeTransactions: {s.transactional_id}: {_error(s.error_code)}"
                )
            out.append((node, s))
    return sorted(out, key=lambda x: x[1].transactional_id)


def _common(node: int, s) -> list:
    return [
        node,
        s.transactional_id,
        s.producer_id,
        s.producer_epoch,
        s.transaction_state,
        rfc3339_milli(s.transaction_start_time_ms),
        go_duration(s.transaction_timeout_ms),
    ]


@with_globals
@kc.kafka_command
def txn_describe(
    txn_ids: Annotated[Optional[list[str]], typer.Argument(metavar="[TXN-IDS...]")] = None,
    print_partitions: Annotated[
        bool,
        typer.Option(
            "-p",
            "--print-partitions",
            help="Include per-topic partitions that are in the transaction",
        ),
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Describe transactional IDs.

    This command, in comparison to 'list', is a more detailed per-transaction view of
    transactional IDs. In addition to the state and producer ID, this command also outputs
    when a transaction started, the epoch of the producer ID, how long until the transaction
    times out, and the partitions currently a part of the transaction. If no transactional
    IDs are requested, all transactional IDs are printed.
    """
    kind = _kind(fmt)
    with kc.admin_session(options.params()) as admin:
        described = describe_transactions(admin, list(txn_ids or []))
    headers = ["coordinator", "transactional-id", "producer-id", "producer-epoch", "state",
               "start-timestamp", "timeout"]  # fmt: skip
    topics_of = [(node, s, sorted(s.topics, key=lambda t: t.topic)) for node, s in described]
    if kind in ("json", "yaml"):
        doc = [
            {
                "coordinator_id": node,
                "transaction_id": s.transactional_id,
                "producer_id": s.producer_id,
                "producer_epoch": s.producer_epoch,
                "state": s.transaction_state,
                "start_timestamp": str(s.transaction_start_time_ms),
                "timeout": s.transaction_timeout_ms,
                "topic": t.topic,
                "partition": p,
            }
            for node, s, topics in topics_of
            for t in topics
            for p in t.partitions
        ]
        _emit(doc, kind)
        return
    if kind == "text":
        rows = []
        for node, s, topics in topics_of:
            if print_partitions:
                text = ",".join(
                    f"{t.topic}[{';'.join(str(p) for p in t.partitions)}]" for t in topics
                )
            else:
                text = ",".join(t.topic for t in topics)
            rows.append([*_common(node, s), text])
        print_table([*headers, "topics"], rows)
        return
    extra = ["topic", "partition"] if print_partitions else ["topic"]
    rows = [
        [*_common(node, s), t.topic, *([p] if print_partitions else [])]
        for node, s, topics in topics_of
        for t in topics
        for p in (t.partitions if print_partitions else [None])
    ]
    print_table([*headers, *extra], rows)


# ---- describe-producers -------------------------------------------------------------------


def _leaders(admin, topics: list[str] | None) -> dict[int, dict[str, list[int]]]:
    by_leader: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for view in topic_views(admin.describe_topics(topics)):
        if view.error or view.internal:
            continue
        for p in view.partitions:
            by_leader[p.leader][view.name].append(p.partition)
    return by_leader


@with_globals
@kc.kafka_command
def txn_describe_producers(
    topics: Annotated[
        Optional[list[str]],
        typer.Option(
            "-t", "--topics", help="Topic to describe producers for (repeatable)", metavar="strings"
        ),
    ] = None,
    partitions: Annotated[
        Optional[list[str]],
        typer.Option(
            "-p",
            "--partitions",
            help="Partitions to describe producers for (repeatable)",
            metavar="int32Slice",
        ),
    ] = None,
    all_: Annotated[
        bool, typer.Option("-a", "--all", help="Query all producer IDs on any topic")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Describe transactional producers to partitions.

    This command describes partitions that active transactional producers are producing to.
    You can query all topics and partitions that have active producers with --all. To filter
    for specific topics, use --topics. You can additionally filter by partitions with
    --partitions.
    """
    kind = _kind(fmt)
    names = [x for v in topics or [] for x in v.split(",") if x]
    wanted_parts = {int(x) for v in partitions or [] for x in v.split(",") if x}
    if all_ and (names or wanted_parts):
        raise CliError("if any flags in the group [topics all] are set none of the others can be")
    if not names and wanted_parts:
        raise CliError("cannot specify partitions without any topics")
    if not all_ and not names:
        raise CliError("must specify at least one of --all or --topics")
    rows = []
    with kc.admin_session(options.params()) as admin:
        for leader, by_topic in sorted(_leaders(admin, names or None).items()):
            request = DescribeProducersRequest(
                topics=[
                    DescribeProducersRequest.TopicRequest(
                        name=t,
                        partition_indexes=[p for p in ps if not wanted_parts or p in wanted_parts],
                    )
                    for t, ps in by_topic.items()
                ]
            )
            for t in _send(admin, request, leader).topics:
                for p in t.partitions:
                    rows += _producer_rows(leader, t.name, p, kind)
    rows.sort(key=lambda r: (r["topic"], r["partition"], r.get("producer_id", -1)))
    if kind in ("json", "yaml"):
        _emit(rows, kind)
        return
    columns = ["leader", "topic", "partition", "producer_id", "producer_epoch", "last_sequence",
               "last_timestamp", "coordinator_epoch", "transaction_start_offset", "error"]  # fmt: skip
    print_table(
        [
            "leader",
            "topic",
            "partition",
            "producer-id",
            "producer-epoch",
            "last-sequence",
            "last-timestamp",
            "coordinator-epoch",
            "txn-start-offset",
            "error",
        ],  # fmt: skip
        [[r.get(c, "") for c in columns] for r in rows],
    )


def _producer_rows(leader: int, topic: str, p, kind: str) -> list[dict]:
    if p.error_code:
        base = {"leader": leader, "topic": topic, "partition": p.partition_index}
        return [dict(base, error=_error(p.error_code))]
    out = []
    for s in p.active_producers:
        ts = rfc3339_milli(s.last_timestamp) if kind == "text" else str(s.last_timestamp)
        out.append(
            {
                "leader": leader,
                "topic": topic,
                "partition": p.partition_index,
                "producer_id": s.producer_id,
                "producer_epoch": s.producer_epoch,
                "last_sequence": s.last_sequence,
                "last_timestamp": ts,
                "coordinator_epoch": s.coordinator_epoch,
                "transaction_start_offset": s.current_txn_start_offset,
            }
        )
    return out


def register(app: typer.Typer) -> None:
    group = new_group("txn", TXN_HELP)
    add_command(group, txn_list, "list", aliases=("ls",))
    add_command(group, txn_describe, "describe")
    add_command(group, txn_describe_producers, "describe-producers")
    add_group(app, group, "txn", aliases=("transaction",))
