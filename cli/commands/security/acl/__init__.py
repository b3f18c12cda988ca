"""`rpk security acl`: create, list and delete Kafka ACLs (CreateAcls, DescribeAcls,
DeleteAcls)."""

from __future__ import annotations

import typer

from cli._app import new_group
from cli.commands.security.acl import create, delete, list_acls


def register(parent: typer.Typer) -> None:
    app = new_group("acl", "Manage ACLs.")
    for module in (create, list_acls, delete):
        module.register(app)
    parent.add_typer(app, name="acl")
