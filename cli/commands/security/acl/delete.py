"""`rpk security acl delete`: remove the ACLs the filter flags match (after confirmation)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import options
from cli._app import add_command
from cli.clients import acls as client
from cli.clients import kafka as kc
from cli.commands.security.acl import _common as c
from cli.options import with_globals
from cli.output import check_format, print_structured, print_table


@with_globals
@kc.kafka_command
def acl_delete(
    topic: c.TopicOpt = None,
    group: c.GroupOpt = None,
    cluster: c.ClusterOpt = False,
    transactional_id: c.TxnOpt = None,
    resource_pattern_type: c.pattern_opt("any", "any, match, literal or prefixed") = "any",
    operation: c.OperationOpt = None,
    allow_principal: c.AllowPrincipalOpt = None,
    allow_host: c.AllowHostOpt = None,
    deny_principal: c.DenyPrincipalOpt = None,
    deny_host: c.DenyHostOpt = None,
    dry: Annotated[
        bool, typer.Option("-d", "--dry", help="Dry run: show what would be deleted.")
    ] = False,
    no_confirm: Annotated[
        bool, typer.Option("--no-confirm", help="Disable confirmation prompt.")
    ] = False,
    fmt: c.FormatOpt = "text",
) -> None:
    """Delete ACLs."""
    fmt = check_format(fmt)
    filters = c.spec(
        topic,
        group,
        cluster,
        transactional_id,
        resource_pattern_type,
        operation,
        allow_principal,
        allow_host,
        deny_principal,
        deny_host,
    ).filters()
    p = options.params()
    if dry or not no_confirm:
        matching = [client.row(acl) for acl in client.describe(p, filters)]
        if dry or not matching:
            typer.echo("MATCHES")
            print_table(client.HEADERS, matching)
            return
        typer.echo("MATCHES")
        print_table(client.HEADERS, matching)
        if not typer.confirm("Confirm deletion of the above matching ACLs?"):
            return
    rows = client.delete(p, filters)
    if fmt != "text":
        print_structured(c.structured(rows, with_error=True), fmt)
        return
    typer.echo("DELETIONS")
    print_table([*client.HEADERS, "error"], rows)


def register(app: typer.Typer) -> None:
    add_command(app, acl_delete, "delete")
