"""`rpk security acl list` (aliases ls, describe): the ACLs the filter flags match."""

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
def acl_list(
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
    print_filters: Annotated[
        bool, typer.Option("-f", "--print-filters", help="Print the filters that were requested.")
    ] = False,
    fmt: c.FormatOpt = "text",
) -> None:
    """List ACLs."""
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
    if print_filters and fmt == "text":
        typer.echo("REQUESTED FILTERS")
        print_table(client.HEADERS, [_filter_row(f) for f in filters])
        typer.echo("")
        typer.echo("ACLS")
    rows = [client.row(acl) for acl in client.describe(options.params(), filters)]
    if fmt != "text":
        print_structured(c.structured(rows, with_error=False), fmt)
        return
    print_table(client.HEADERS, rows)


def _filter_row(f) -> list[str]:
    rp = f.resource_pattern
    return [
        f.principal or "",
        f.host or "",
        rp.resource_type.name,
        rp.resource_name or "",
        rp.pattern_type.name,
        f.operation.name,
        f.permission_type.name,
    ]


def register(app: typer.Typer) -> None:
    add_command(app, acl_list, "list", aliases=("ls", "describe"))
