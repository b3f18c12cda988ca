"""`rpk group describe`: members, committed offsets and lag per partition."""

from __future__ import annotations

import re
from typing import Annotated

import kafka.errors as kerr
import typer
from kafka import TopicPartition

from cli import options
from cli.clients import kafka as kc
from cli.clients.offsets import watermarks
from cli.commands.group._common import (
    LagRow,
    groups_by_broker,
    kerr_text,
    member_index,
    offset_of,
    subscribed_topics,
)
from cli.errors import CliError, FlagError
from cli.options import with_globals
from cli.output import emit, format_columns, format_table
from cli.views import topic_views

LAG_HEADERS = [
    "topic",
    "partition",
    "current-offset",
    "log-start-offset",
    "log-end-offset",
    "lag",
    "member-id",
]


def lag_rows(admin, description: dict, committed: dict) -> list[LagRow]:
    """kadm's Lag: every partition of each topic the group has commits for, members are
    assigned or asked for when joining (uncommitted ones lag by their whole log); a committed
    or assigned partition whose topic is gone gets UNKNOWN_TOPIC_OR_PARTITION."""
    owners = member_index(description)
    wanted = set(committed) | set(owners)
    topics = sorted({tp.topic for tp in wanted} | subscribed_topics(description))
    listed: set[TopicPartition] = set()
    if topics:
        for view in topic_views(admin.describe_topics(topics)):
            if not view.error:
                listed |= {TopicPartition(view.name, p.partition) for p in view.partitions}
    ordered = sorted(wanted | listed, key=lambda tp: (tp.topic, tp.partition))
    marks = watermarks(admin, sorted(listed, key=lambda tp: (tp.topic, tp.partition)))
    rows = []
    for tp in ordered:
        start, end = marks.get(tp, (0, 0))
        owner = owners.get(tp)
        rows.append(
            LagRow(
                tp.topic,
                tp.partition,
                offset_of(committed.get(tp)),
                start,
                end,
                *((owner.member, owner.client, owner.host) if owner else ("", "", "")),
                instance=owner.instance if owner else None,
                error="" if tp in listed else kerr_text(3),
            )
        )
    return rows


def find_coordinator(admin, group: str) -> tuple[int, str]:
    """(coordinator id, '') from FindCoordinator, or (-1, kerr's text of why there is none):
    rpk's kadm leaves the group's coordinator at -1 when it cannot be found."""
    try:
        found = admin._manager.run(admin._find_coordinator_ids, [group])
    except kerr.BrokerResponseError as exc:
        return -1, kerr_text(exc.errno)
    except kerr.KafkaError as exc:
        return -1, str(exc)
    if isinstance(found, dict) and isinstance(found.get(group), int):
        return found[group], ""
    return -1, kerr_text(15)


def summary_text(name: str, description: dict, rows: list[LagRow], coordinator: int) -> str:
    head = [
        ["group", name],
        ["coordinator", coordinator],
        ["state", description.get("group_state", "Dead")],
        ["balancer", description.get("protocol_data", "")],
        ["members", len(description.get("members") or [])],
        ["total-lag", sum(r.lag for r in rows if r.lag > 0)],
    ]
    if description.get("error"):
        head.append(["error", description["error"]])
    return format_columns(head)


def commits_table(rows: list[LagRow]) -> str:
    """rpk's commits section: INSTANCE-ID only if some member has one, ERROR only if some
    partition has one."""
    instance = any(r.instance is not None for r in rows)
    error = any(r.error for r in rows)
    headers = [*LAG_HEADERS, *(["instance-id"] if instance else []), "client-id", "host"]
    table = []
    for r in rows:
        cells = [
            r.topic,
            r.partition,
            "-" if r.current is None else r.current,
            r.log_start,
            r.log_end,
            "-" if r.log_end == 0 else r.lag,  # nothing produced yet
            r.member,
            *([r.instance or ""] if instance else []),
            r.client,
            r.host,
        ]
        table.append([*cells, r.error] if error else cells)
    return format_table([*headers, "error"] if error else headers, table)


def described_error(error: str | None) -> str:
    """The group's DescribeGroups error in kerr's words (kafka-python gives
    '[Error 15] CoordinatorNotAvailableError: ...')."""
    if not error:
        return ""
    found = re.match(r"\[Error (-?\d+)\]", error)
    return kerr_text(int(found.group(1))) if found else error


def topic_lags(rows: list[LagRow], subscribed: set[str]) -> list[tuple[str, int]]:
    """kadm's TotalByTopic, sorted: each topic's positive lags summed; a topic members asked
    for that has no partitions (it does not exist) counts 0."""
    lags: dict[str, int] = dict.fromkeys(subscribed, 0)
    for r in rows:
        lags[r.topic] = lags.get(r.topic, 0) + max(r.lag, 0)
    return sorted(lags.items())


def render_all(described: list[tuple[str, dict, list[LagRow], int]], mode: str) -> str:
    """rpk's printLagPerTopic / printDescribedSummary / printDescribed for `mode` t, s, c or '':
    a blank line between groups, and between a group's summary and its commits."""
    out = []
    last = len(described) - 1
    for i, (name, description, rows, coordinator) in enumerate(described):
        if mode != "c":
            out.append(summary_text(name, description, rows, coordinator) + "\n")
        if mode not in ("t", "s") and rows:
            out.append("" if mode == "c" else "\n")
            out.append(commits_table(rows) + "\n")
        if i != last:
            out.append("\n")
    if mode == "t":  # then one TOPIC LAG table, each group's topics in turn
        per_topic = [
            t for _, d, rows, _ in described for t in topic_lags(rows, subscribed_topics(d))
        ]
        out.append("\n" + format_table(["topic", "lag"], per_topic) + "\n")
    return "".join(out)


@with_globals
@kc.kafka_command
def group_describe(
    groups: Annotated[list[str], typer.Argument(help="Groups (or regexes with -r) to describe.")],
    print_lag_per_topic: Annotated[
        bool,
        typer.Option("-t", "--print-lag-per-topic", help="Print the aggregated lag per topic"),
    ] = False,
    print_summary: Annotated[
        bool, typer.Option("-s", "--print-summary", help="Print only the group summary section")
    ] = False,
    print_commits: Annotated[
        bool, typer.Option("-c", "--print-commits", help="Print only the group commits section")
    ] = False,
    regex: Annotated[
        bool,
        typer.Option(
            "-r",
            "--regex",
            help="Parse arguments as regex; describe any group that matches any input group expression",
        ),
    ] = False,
) -> None:
    """Describe group offset status & lag.

    This command describes group members, calculates their lag, and prints detailed
    information about the members.

    The --regex flag (-r) parses arguments as regular expressions
    and describes groups that match any of the expressions.
    """
    exclusive(print_lag_per_topic, print_summary, print_commits)
    with kc.admin_session(options.params()) as admin:
        listed = {g["group_id"]: broker_id for broker_id, g in groups_by_broker(admin)}
        names = regex_groups(list(listed), groups) if regex else groups
        if not names:
            typer.echo("did not match any groups, exiting.")
            return
        described = describe_all(admin, sorted(set(names)), listed)
    mode = "t" if print_lag_per_topic else "s" if print_summary else "c" if print_commits else ""
    text = render_all(described, mode)
    if text:  # -c of groups without commits prints nothing
        emit(text.removesuffix("\n"))


def _go_regexp_error(expression: str, exc: re.error) -> str:
    """Go regexp's syntax.Error text for the usual mistakes (`error parsing regexp: <code>:
    `<expr>``), from Python's report of the same one."""
    pos = exc.pos or 0
    code, expr = {
        "missing ), unterminated subpattern": ("missing closing )", expression),
        "unbalanced parenthesis": ("unexpected )", expression),
        "nothing to repeat": ("missing argument to repetition operator", expression[pos : pos + 1]),
        "multiple repeat": ("invalid nested repetition operator", expression[pos - 1 : pos + 1]),
        "unterminated character set": ("missing closing ]", expression[pos:]),
    }.get(exc.msg, (exc.msg, expression))
    return f"error parsing regexp: {code}: `{expr}`"


def regex_groups(names: list[str], expressions: list[str]) -> list[str]:
    """rpk's utils.RegexListedItems: each expression anchored with ^ and $ unless it has them,
    a group listed once, in the order the expressions match it."""
    compiled = []
    for expression in expressions:
        anchored = ("" if expression.startswith("^") else "^") + expression
        anchored += "" if anchored.endswith("$") else "$"
        # Go lets an operator repeat the ^ it adds (`-r '*'` is `^*$`, matching every group):
        # a `^*` or `^?` may match nowhere, `^+` is just `^`
        start = re.match(r"\^([*+?])\??", anchored)
        python = (
            anchored if not start else ("^" if start[1] == "+" else "") + anchored[start.end() :]
        )
        try:
            compiled.append(re.compile(python))
        except re.error as exc:
            raise CliError(
                f'unable to filter groups by regex: unable to compile regex "{anchored}": '
                + _go_regexp_error(anchored, exc)
            ) from None
    matched, remaining = [], list(names)
    for rx in compiled:
        matched += [n for n in remaining if rx.search(n)]
        remaining = [n for n in remaining if not rx.search(n)]
    return matched


def exclusive(per_topic: bool, summary: bool, commits: bool) -> None:
    """cobra's MarkFlagsMutuallyExclusive groups, checked in the order cobra sorts them."""
    for group, chosen in (
        ("print-lag-per-topic print-commits", per_topic and commits),
        ("print-summary print-commits", summary and commits),
    ):
        if chosen:
            names = sorted(group.split())
            raise FlagError(
                f"if any flags in the group [{group}] are set none of the others can be; "
                f"[{' '.join(names)}] were all set"
            )


def describe_all(admin, names: list[str], listed: dict[str, int]) -> list[tuple]:
    """(name, description, rows, coordinator) per group, as kadm's Lag: a group whose
    coordinator cannot be found keeps coordinator -1 and its error; if no group can be
    described, rpk stops with its error."""
    coordinators, failed = {}, {}
    for name in names:
        if name in listed:
            coordinators[name] = listed[name]
            continue
        coordinators[name], error = find_coordinator(admin, name)
        if error:
            failed[name] = error
    if len(failed) == len(names):
        errors = list(dict.fromkeys(failed.values()))
        raise CliError(
            f"unable to describe groups: request DescribeGroups has {len(errors)} separate "
            f"shard errors, first: {errors[0]}"
        )
    known = [n for n in names if n not in failed]
    descriptions = admin.describe_groups(known)
    described = []
    for name in names:
        if name in failed:
            described.append((name, {"group_state": "", "error": failed[name]}, [], -1))
            continue
        description = dict(descriptions.get(name) or {})
        description["error"] = described_error(description.get("error"))
        committed = admin.list_group_offsets({name: None}).get(name, {})
        rows = lag_rows(admin, description, committed)
        described.append((name, description, rows, coordinators[name]))
    return described


def register(app: typer.Typer) -> None:
    app.command("describe", short_help="Describe group offset status & lag")(group_describe)
