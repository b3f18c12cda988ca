"""`rpk topic alter-config` (IncrementalAlterConfigs)."""

from __future__ import annotations

import re
from typing import Annotated, Optional

import typer
from kafka.admin import AlterConfigOp, ConfigResource, ConfigResourceType

from cli import options
from cli.clients import kafka as kc
from cli.errors import UsageError
from cli.options import with_globals
from cli.output import print_table
from cli.views import error_text, parse_kv_list

_RESULT = re.compile(r"\[Error (-?\d+)\][^:]*:?\s*(.*)", re.S)


def result_status(result: object) -> str:
    """kafka-python reports 'OK' or '[Error N] Name: message' per resource."""
    text = str(result)
    if text == "OK":
        return "OK"
    match = _RESULT.match(text)
    return error_text(int(match.group(1)), match.group(2).strip() or None) if match else text


def build_ops(set_: dict, delete: list[str], append: dict, subtract: dict) -> dict:
    ops: dict = {}
    for source, op in (
        (set_, AlterConfigOp.SET),
        (append, AlterConfigOp.APPEND),
        (subtract, AlterConfigOp.SUBTRACT),
    ):
        for key, value in source.items():
            if key in ops:
                raise UsageError(f"config {key!r} is altered more than once")
            ops[key] = (op, value)
    for key in delete:
        if key in ops:
            raise UsageError(f"config {key!r} is altered more than once")
        ops[key] = (AlterConfigOp.DELETE, None)
    if not ops:
        raise UsageError("nothing to alter: use --set, --delete, --append or --subtract")
    return ops


@with_globals
@kc.kafka_command
def topic_alter_config(
    topics: Annotated[list[str], typer.Argument(help="Topics to alter.")],
    set_: Annotated[
        Optional[list[str]],
        typer.Option("-s", "--set", help="key=value config to set; repeatable."),
    ] = None,
    delete: Annotated[
        Optional[list[str]],
        typer.Option("-d", "--delete", help="Config key to delete (reset to default); repeatable."),
    ] = None,
    append: Annotated[
        Optional[list[str]],
        typer.Option("--append", help="key=value to append to a list config; repeatable."),
    ] = None,
    subtract: Annotated[
        Optional[list[str]],
        typer.Option("--subtract", help="key=value to remove from a list config; repeatable."),
    ] = None,
    dry: Annotated[bool, typer.Option("--dry", help="Dry run: validate only.")] = False,
) -> None:
    """Set, delete, add to or remove from topic configs."""
    ops = build_ops(
        parse_kv_list(set_, "--set"),
        delete or [],
        parse_kv_list(append, "--append"),
        parse_kv_list(subtract, "--subtract"),
    )
    resources = [ConfigResource(ConfigResourceType.TOPIC, t, configs=dict(ops)) for t in topics]
    with kc.admin_session(options.params()) as admin:
        result = admin.alter_configs(
            resources, validate_only=dry, raise_on_unknown=False, incremental=True
        )
    per_topic = result.get("topic", {})
    rows = [[t, result_status(per_topic.get(t, "no response"))] for t in topics]
    print_table(["topic", "status"], rows)  # per-topic errors: rpk exits 0


def register(app: typer.Typer) -> None:
    app.command("alter-config")(topic_alter_config)
