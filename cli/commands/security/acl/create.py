"""`rpk security acl create`: every combination of the flags is one ACL."""

from __future__ import annotations

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
def acl_create(
    topic: c.TopicOpt = None,
    group: c.GroupOpt = None,
    cluster: c.ClusterOpt = False,
    transactional_id: c.TxnOpt = None,
    resource_pattern_type: c.pattern_opt("literal", "literal or prefixed") = "literal",
    operation: c.OperationOpt = None,
    allow_principal: c.AllowPrincipalOpt = None,
    allow_host: c.AllowHostOpt = None,
    deny_principal: c.DenyPrincipalOpt = None,
    deny_host: c.DenyHostOpt = None,
    fmt: c.FormatOpt = "text",
) -> None:
    """Create ACLs."""
    fmt = check_format(fmt)
    acls = c.spec(
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
    ).creations()
    rows = client.create(options.params(), acls)
    if fmt != "text":
        print_structured(c.structured(rows, with_error=True), fmt)
        return
    print_table([*client.HEADERS, "error"], rows)


def register(app: typer.Typer) -> None:
    add_command(app, acl_create, "create")
