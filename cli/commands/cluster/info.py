"""`rpk cluster info` (aliases `metadata`, `status`): brokers and topics from Kafka metadata."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli import options
from cli._app import add_command
from cli.clients import kafka as kc
from cli.options import with_globals
from cli.output import format_table, print_sections
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
    everything = not (print_cluster or print_brokers or print_topics)
    want_topics = everything or print_topics or print_detailed
    with kc.admin_session(options.params()) as admin:
        cluster = admin.describe_cluster()
        views = (
            select(
                topic_views(admin.describe_topics(topics or None)),
                topics or [],
                False,
                print_internal,
            )
            if want_topics
            else []
        )
    sections = []
    if everything or print_cluster:
        sections.append(("cluster", str(cluster.get("cluster_id") or "")))
    if everything or print_brokers:
        sections.append(("brokers", format_table(*broker_rows(cluster))))
    if want_topics:
        body = (
            detailed_text(views)
            if print_detailed
            else format_table(["name", "partitions", "replicas"], summary_rows(views))
        )
        sections.append(("topics", body))
    print_sections(sections)


def register(app: typer.Typer) -> None:
    add_command(app, cluster_info, "info", aliases=("metadata", "status"))
