"""`rpk topic delete`."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import options
from cli.clients import kafka as kc
from cli.options import with_globals
from cli.output import print_table
from cli.views import match_regex, status


@with_globals
@kc.kafka_command
def topic_delete(
    topics: Annotated[
        list[str], typer.Argument(help="Topics (or, with -r, regular expressions) to delete.")
    ],
    regex: Annotated[
        bool, typer.Option("-r", "--regex", help="Parse topics as regular expressions.")
    ] = False,
) -> None:
    """Delete topics."""
    with kc.admin_session(options.params()) as admin:
        names = match_regex(admin.list_topics(), topics) if regex else topics
        if not names:
            return
        result = admin.delete_topics(names, timeout_ms=5000, raise_errors=False)
    rows = [
        [t["name"], status(t.get("error_code", 0), t.get("error_message"))]
        for t in result["topics"]
    ]
    print_table(["topic", "status"], sorted(rows))  # per-topic errors: rpk exits 0


def register(app: typer.Typer) -> None:
    app.command("delete")(topic_delete)
