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
            doc = [
                {
                    "name": v.name,
                    "internal": v.internal,
                    "partitions": [
                        {
                            "partition": p.partition,
                            "leader": p.leader,
                            "epoch": p.epoch,
                            "replicas": p.replicas,
                        }
                        for p in v.partitions
                    ],
                }
                for v in views
            ]
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


def register(app: typer.Typer) -> None:
    add_command(app, topic_list, "list", aliases=("ls",))
