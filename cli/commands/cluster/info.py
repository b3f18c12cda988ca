"""`rpk cluster info` (aliases `metadata`, `status`): brokers and topics from Kafka metadata."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli import options
from cli._app import add_command
from cli.clients import kafka as kc
from cli.options import with_globals
from cli.output import emit, format_table, section
from cli.views import detailed_text, select, summary_rows, topic_views


def broker_rows(cluster: dict) -> tuple[list[str], list[list]]:
    brokers = sorted(
        cluster.get("brokers", []), key=lambda b: b.get("broker_id", b.get("node_id", 0))
    )
    with_rack = any(b.get("rack") for b in brokers)
    controller = cluster.get("controller_id")
    rows = []
    for b in brokers:
        bid = b.get("broker_id", b.get("node_id"))
        row = [f"{bid}*" if bid == controller else str(bid), b.get("host"), b.get("port")]
        rows.append(row + [b.get("rack") or ""] if with_rack else row)
    return (["id", "host", "port", "rack"] if with_rack else ["id", "host", "port"]), rows


@with_globals
@kc.kafka_command
def cluster_info(
    topics: Annotated[
        Optional[list[str]], typer.Argument(help="Topics to print (default all).")
    ] = None,
    print_cluster: Annotated[
        bool, typer.Option("-c", "--print-cluster", help="Print the cluster section.")
    ] = False,
    print_brokers: Annotated[
        bool, typer.Option("-b", "--print-brokers", help="Print the brokers section.")
    ] = False,
    print_topics: Annotated[
        bool, typer.Option("-t", "--print-topics", help="Print the topics section.")
    ] = False,
    print_internal: Annotated[
        bool, typer.Option("-i", "--print-internal-topics", help="Print internal topics.")
    ] = False,
    print_detailed: Annotated[
        bool,
        typer.Option("-d", "--print-detailed-topics", help="Print per-partition topic detail."),
    ] = False,
) -> None:
    """Request broker and topic metadata."""
    requested = sum((print_cluster, print_brokers, print_topics))
    want_topics = print_topics or bool(topics) or print_detailed or print_internal
    internal = print_internal
    if requested == 0:  # rpk: no section flag means every section, internal topics included
        print_cluster = print_brokers = want_topics = internal = True
        requested = 4
    with kc.admin_session(options.params()) as admin:
        cluster = admin.describe_cluster()
        views = (
            select(
                topic_views(admin.describe_topics(topics or None)), topics or [], False, internal
            )
            if want_topics
            else []
        )
    sections = []
    cluster_id = str(cluster.get("cluster_id") or "")
    if print_cluster and cluster_id:
        sections.append(("cluster", cluster_id))
    if print_brokers:
        sections.append(("brokers", format_table(*broker_rows(cluster))))
    if want_topics and views:
        body = (
            detailed_text(views, cluster_info=True)
            if print_detailed
            else format_table(["name", "partitions", "replicas"], summary_rows(views))
        )
        sections.append(("topics", body))
    for title, body in sections:  # titles only when several sections were requested
        emit(section(title, body) if requested > 1 else body)


def register(app: typer.Typer) -> None:
    add_command(app, cluster_info, "info", aliases=("metadata", "status"))
