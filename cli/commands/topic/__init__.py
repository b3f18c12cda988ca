"""`rpk topic`: create, delete, list, describe, alter-config, add-partitions, produce, consume, trim-prefix."""

from __future__ import annotations

import typer

from cli._app import new_group
from cli.commands.topic import (
    add_partitions,
    alter_config,
    consume,
    create,
    delete,
    describe,
    list,
    produce,
    trim_prefix,
)


def register(root: typer.Typer) -> None:
    app = new_group("topic", "Create, delete, produce to and consume from topics.")
    for module in (
        create,
        delete,
        list,
        describe,
        alter_config,
        add_partitions,
        produce,
        consume,
        trim_prefix,
    ):
        module.register(app)
    root.add_typer(app, name="topic")
