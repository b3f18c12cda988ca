"""`rpk topic create`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli import options
from cli.clients import kafka as kc
from cli.errors import PartialFailure, UsageError
from cli.options import with_globals
from cli.output import print_table
from cli.views import parse_kv_list, status

EVEN_REPLICAS = "INVALID_REPLICATION_FACTOR: replication factor must be odd"


@with_globals
@kc.kafka_command
def topic_create(
    topics: Annotated[list[str], typer.Argument(help="Topics to create.")],
    partitions: Annotated[
        int,
        typer.Option(
            "-p",
            "--partitions",
            metavar="int32",
            help="Number of partitions (-1 = cluster default).",
        ),
    ] = -1,
    replicas: Annotated[
        int,
        typer.Option(
            "-r",
            "--replicas",
            metavar="int16",
            help="Replication factor, odd (-1 = cluster default).",
        ),
    ] = -1,
    topic_config: Annotated[
        Optional[list[str]],
        typer.Option("-c", "--topic-config", help="key=value topic config; repeatable."),
    ] = None,
    dry: Annotated[
        bool, typer.Option("-d", "--dry", help="Dry run: validate the request without creating.")
    ] = False,
    compact: Annotated[
        bool,
        typer.Option("--compact", hidden=True, help="Deprecated: use -c cleanup.policy=compact."),
    ] = False,
) -> None:
    """Create topics."""
    if partitions == 0 or partitions < -1:
        raise UsageError("--partitions must be positive, or -1 for the cluster default")
    configs = parse_kv_list(topic_config, "--topic-config")
    if compact:  # as rpk: an explicit -c cleanup.policy wins over the deprecated --compact
        configs.setdefault("cleanup.policy", "compact")
    if replicas > 0 and replicas % 2 == 0:  # every topic fails with rpk's message; nothing is sent
        rows = [[t, EVEN_REPLICAS] for t in topics]
    else:
        request = {
            t: {"num_partitions": partitions, "replication_factor": replicas, "configs": configs}
            for t in topics
        }
        with kc.admin_session(options.params()) as admin:
            result = admin.create_topics(
                request, timeout_ms=5000, validate_only=dry, raise_errors=False
            )
        rows = [
            [t["name"], status(t.get("error_code", 0), t.get("error_message"))]
            for t in result["topics"]
        ]
    print_table(["topic", "status"], rows)
    failed = [r for r in rows if r[1] != "OK"]
    if failed:
        raise PartialFailure()


def register(app: typer.Typer) -> None:
    app.command("create")(topic_create)
