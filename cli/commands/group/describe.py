"""`rpk group describe`: members, committed offsets and lag per partition."""

from __future__ import annotations

from typing import Annotated

import typer
from kafka import TopicPartition

from cli import options
from cli.clients import kafka as kc
from cli.clients.offsets import watermarks
from cli.commands.group._common import LagRow, groups_by_broker, member_index, offset_of
from cli.options import with_globals
from cli.output import emit, format_columns, format_table
from cli.views import match_regex, topic_views

LAG_HEADERS = [
    "topic",
    "partition",
    "current-offset",
    "log-start-offset",
    "log-end-offset",
    "lag",
    "member-id",
    "client-id",
    "host",
]


def lag_rows(admin, description: dict, committed: dict) -> list[LagRow]:
    """kadm's Lag: assigned and committed partitions; an empty group (no members) lists every
    partition of the topics it has commits for (uncommitted ones lag by their whole log)."""
    owners = member_index(description)
    tps = set(committed) | set(owners)
    if not description.get("members") and committed:
        topics = sorted({tp.topic for tp in committed})
        for view in topic_views(admin.describe_topics(topics)):
            tps |= {TopicPartition(view.name, p.partition) for p in view.partitions}
    ordered = sorted(tps, key=lambda tp: (tp.topic, tp.partition))
    marks = watermarks(admin, ordered)
    rows = []
    for tp in ordered:
        start, end = marks[tp]
        member, client, host = owners.get(tp, ("", "", ""))
        current = offset_of(committed.get(tp))
        rows.append(LagRow(tp.topic, tp.partition, current, start, end, member, client, host))
    return rows


def find_coordinator(admin, group: str) -> int | None:
    """FindCoordinator for a group no broker lists (rpk's kadm asks it for every group, so
    an unknown group's Dead summary names its coordinator too)."""
    try:
        found = admin._manager.run(admin._find_coordinator_ids, [group])
    except Exception:  # no coordinator: the row is left out
        return None
    return found.get(group) if isinstance(found, dict) else None


def summary_text(name: str, description: dict, rows: list[LagRow], coordinator) -> str:
    head = [
        ["group", name],
        ["coordinator", "" if coordinator is None else coordinator],
        ["state", description.get("group_state") or "Dead"],
        ["balancer", description.get("protocol_data", "")],
        ["members", len(description.get("members") or [])],
        ["total-lag", sum(r.lag for r in rows)],
    ]
    if description.get("error"):
        head.append(["error", description["error"]])
    return format_columns([h for h in head if h[0] != "coordinator" or h[1] != ""])


def commits_table(rows: list[LagRow]) -> str:
    return format_table(
        LAG_HEADERS,
        [
            [
                r.topic,
                r.partition,
                "-" if r.current is None else r.current,
                r.log_start,
                r.log_end,
                "-" if r.log_end == 0 else r.lag,  # nothing produced yet
                r.member,
                r.client,
                r.host,
            ]
            for r in rows
        ],
    )


def render_all(described: list[tuple[str, dict, list[LagRow], object]], mode: str) -> str:
    """rpk's printLagPerTopic / printDescribedSummary / printDescribed for `mode` t, s, c or ''."""
    summaries = [summary_text(n, d, rows, c) for n, d, rows, c in described]
    if mode == "t":  # every summary, then one TOPIC LAG table
        lags: dict[str, int] = {}
        for _, _, rows, _ in described:
            for r in rows:
                lags[r.topic] = lags.get(r.topic, 0) + r.lag
        table = format_table(["topic", "lag"], sorted(lags.items()))
        return "\n\n".join(summaries) + "\n\n" + table
    if mode == "s":
        return "\n\n".join(summaries)
    blocks = []
    for summary, (_, _, rows, _) in zip(summaries, described):
        parts = [] if mode == "c" else [summary]
        if rows:
            parts.append(commits_table(rows))
        blocks.append("\n\n".join(parts))
    return "\n\n".join(blocks)


@with_globals
@kc.kafka_command
def group_describe(
    groups: Annotated[list[str], typer.Argument(help="Groups (or regexes with -r) to describe.")],
    print_lag_per_topic: Annotated[
        bool,
        typer.Option("-t", "--print-lag-per-topic", help="Print the aggregated lag per topic."),
    ] = False,
    print_summary: Annotated[
        bool, typer.Option("-s", "--print-summary", help="Print only the group summary.")
    ] = False,
    print_commits: Annotated[
        bool, typer.Option("-c", "--print-commits", help="Print only the per-partition commits.")
    ] = False,
    regex: Annotated[
        bool, typer.Option("-r", "--regex", help="Parse groups as regular expressions.")
    ] = False,
) -> None:
    """Describe group offset status and lag."""
    with kc.admin_session(options.params()) as admin:
        coordinators = {g["group_id"]: broker_id for broker_id, g in groups_by_broker(admin)}
        names = match_regex(list(coordinators), groups, True) if regex else groups
        if not names:
            typer.echo("did not match any groups, exiting.")
            return
        descriptions = admin.describe_groups(names)
        described = []
        for name in sorted(names):
            description = descriptions.get(name) or {}
            committed = admin.list_group_offsets({name: None}).get(name, {})
            rows = lag_rows(admin, description, committed)
            coordinator = coordinators.get(name)
            if coordinator is None:
                coordinator = find_coordinator(admin, name)
            described.append((name, description, rows, coordinator))
    mode = "t" if print_lag_per_topic else "s" if print_summary else "c" if print_commits else ""
    emit(render_all(described, mode))


def register(app: typer.Typer) -> None:
    app.command("describe")(group_describe)
