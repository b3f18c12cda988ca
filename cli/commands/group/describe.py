"""`rpk group describe`: members, committed offsets and lag per partition."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import options
from cli.clients import kafka as kc
from cli.clients.offsets import watermarks
from cli.commands.group._common import LagRow, groups_by_broker, member_index, offset_of
from cli.errors import NotFound
from cli.options import with_globals
from cli.output import emit, format_columns, format_table
from cli.views import match_regex

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
    owners = member_index(description)
    tps = sorted(set(committed) | set(owners), key=lambda tp: (tp.topic, tp.partition))
    marks = watermarks(admin, tps)
    rows = []
    for tp in tps:
        start, end = marks[tp]
        member, client, host = owners.get(tp, ("", "", ""))
        rows.append(
            LagRow(
                tp.topic,
                tp.partition,
                offset_of(committed.get(tp)),
                start,
                end,
                member,
                client,
                host,
            )
        )
    return rows


def render(
    name: str,
    description: dict,
    rows: list[LagRow],
    summary: bool,
    commits: bool,
    per_topic: bool,
    coordinator: int | None = None,
) -> str:
    head = [
        ["group", name],
        ["coordinator", "" if coordinator is None else coordinator],
        ["state", description.get("group_state", "")],
        ["balancer", description.get("protocol_data", "")],
        ["members", len(description.get("members") or [])],
        ["total-lag", sum(r.lag for r in rows)],
    ]
    if description.get("error"):
        head.append(["error", description["error"]])
    parts = []
    if summary or not (commits or per_topic):
        parts.append(format_columns([h for h in head if h[0] != "coordinator" or h[1] != ""]))
    if per_topic:
        lags: dict[str, int] = {}
        for r in rows:
            lags[r.topic] = lags.get(r.topic, 0) + r.lag
        parts.append(format_table(["topic", "lag"], sorted(lags.items())))
    elif commits or not summary:
        parts.append(
            format_table(
                LAG_HEADERS,
                [
                    [
                        r.topic,
                        r.partition,
                        "-" if r.current is None else r.current,
                        r.log_start,
                        r.log_end,
                        r.lag,
                        r.member,
                        r.client,
                        r.host,
                    ]
                    for r in rows
                ],
            )
        )
    return "\n\n".join(p for p in parts if p)


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
        descriptions = admin.describe_groups(names) if names else {}
        blocks = []
        for name in names:
            description = descriptions.get(name) or {}
            committed = admin.list_group_offsets({name: None}).get(name, {})
            if description.get("group_state") in (None, "Dead") and not committed:
                raise NotFound(f'GROUP_ID_NOT_FOUND: group "{name}" does not exist')
            rows = lag_rows(admin, description, committed)
            blocks.append(
                render(
                    name,
                    description,
                    rows,
                    print_summary,
                    print_commits,
                    print_lag_per_topic,
                    coordinators.get(name),
                )
            )
    emit("\n\n".join(blocks))


def register(app: typer.Typer) -> None:
    app.command("describe")(group_describe)
