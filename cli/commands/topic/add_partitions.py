"""`rpk topic add-partitions`."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import options
from cli.clients import kafka as kc
from cli.errors import PartialFailure, UsageError
from cli.options import with_globals
from cli.output import print_table
from cli.views import status, topic_views


@with_globals
@kc.kafka_command
def topic_add_partitions(
    topics: Annotated[list[str], typer.Argument(help="Topics to add partitions to.")],
    num: Annotated[
        int, typer.Option("-n", "--num", help="Number of partitions to add to each topic.")
    ] = 0,
    force: Annotated[
        bool, typer.Option("-f", "--force", help="Allow adding partitions to internal topics.")
    ] = False,
) -> None:
    """Add partitions to existing topics."""
    if num <= 0:
        raise UsageError("--num must be a positive number of partitions to add")
    with kc.admin_session(options.params()) as admin:
        views = {v.name: v for v in topic_views(admin.describe_topics(topics))}
        rows, request = [], {}
        for t in topics:
            view = views.get(t)
            if view is None or view.error:
                rows.append([t, view.error if view else "UNKNOWN_TOPIC_OR_PARTITION"])
            elif view.internal and not force:
                rows.append([t, "INVALID_REQUEST: internal topic; use --force to add partitions"])
            else:
                request[t] = len(view.partitions) + num
        if request:
            response = admin.create_partitions(request, timeout_ms=5000, raise_errors=False)
            rows += [[r.name, status(r.error_code, r.error_message)] for r in response.results]
    print_table(["topic", "status"], sorted(rows))
    if any(r[1] != "OK" for r in rows):
        raise PartialFailure()


def register(app: typer.Typer) -> None:
    app.command("add-partitions")(topic_add_partitions)
