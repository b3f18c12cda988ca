"""`rpk topic list`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli import options
from cli._app import add_command
from cli.clients import kafka as kc
from cli.options import FormatOpt, with_globals
from cli.output import check_format, emit, print_structured, print_table
from cli.views import detailed_text, select, summary_rows, topic_views


@with_globals
@kc.kafka_command
def topic_list(
    topics: Annotated[
        Optional[list[str]], typer.Argument(help="Topics (or regexes with -r) to list.")
    ] = None,
    detailed: Annotated[
        bool, typer.Option("-d", "--detailed", help="Print per-partition information.")
    ] = False,
    internal: Annotated[
        bool, typer.Option("-i", "--internal", help="Print internal topics.")
    ] = False,
    regex: Annotated[
        bool, typer.Option("-r", "--regex", help="Parse topics as regular expressions.")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """List topics, optionally listing specific topics."""
    fmt = check_format(fmt)
    with kc.admin_session(options.params()) as admin:
        views = select(topic_views(admin.describe_topics()), topics or [], regex, internal)
    if fmt != "text":
        if detailed:
            doc = [_detailed_doc(v, fmt) for v in views]
        else:
            doc = [
                {"name": v.name, "partitions": len(v.partitions), "replicas": v.replicas}
                for v in views
            ]
        print_structured(doc, fmt)
    elif detailed:
        if views:
            emit(detailed_text(views))
    else:
        print_table(["name", "partitions", "replicas"], summary_rows(views))


def _detailed_doc(v, fmt: str) -> dict:
    """rpk's detailedListTopic: partitions is a count, partition_list the partitions (a nil
    offline list is JSON null / YAML [], epoch is omitted from JSON when 0)."""
    parts = []
    for p in sorted(v.partitions, key=lambda p: p.partition):
        part = {"partition": p.partition, "leader": p.leader, "epoch": max(p.epoch, 0)}
        if fmt == "json" and not part["epoch"]:
            del part["epoch"]
        empty = None if fmt == "json" else []
        part["replicas"] = sorted(p.replicas)
        part["offline_replicas"] = sorted(p.offline) if p.offline else empty
        part["load_error"] = p.error
        parts.append(part)
    return {
        "name": v.name,
        "partitions": len(v.partitions),
        "replicas": v.replicas,
        "partition_list": parts if parts else None,
    }


def register(app: typer.Typer) -> None:
    add_command(app, topic_list, "list", aliases=("ls",))
