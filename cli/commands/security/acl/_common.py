"""Flags shared by `rpk security acl create | list | delete` (rpk's names; repeatable and
comma-separated, as rpk's string slices)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli.clients.acls import AclSpec
from cli.options import FORMAT_HELP

Many = Optional[list[str]]


def _opt(flag: str, text: str):
    return Annotated[Many, typer.Option(flag, help=text, metavar="strings")]


TopicOpt = _opt("--topic", "Topic to grant ACLs for (repeatable).")
GroupOpt = _opt("--group", "Group to grant ACLs for (repeatable).")
ClusterOpt = Annotated[
    bool, typer.Option("--cluster", help="Whether to grant ACLs to the cluster.")
]
TxnOpt = _opt("--transactional-id", "Transactional IDs to grant ACLs for (repeatable).")
OperationOpt = _opt("--operation", "Operation to grant (repeatable).")
AllowPrincipalOpt = _opt("--allow-principal", "Principals granted these permissions (repeatable).")
AllowHostOpt = _opt("--allow-host", "Hosts from which access is granted (repeatable).")
DenyPrincipalOpt = _opt("--deny-principal", "Principals denied these permissions (repeatable).")
DenyHostOpt = _opt("--deny-host", "Hosts from which access is denied (repeatable).")
FormatOpt = Annotated[str, typer.Option("--format", help=FORMAT_HELP)]


def pattern_opt(default: str, choices: str):
    return Annotated[
        str,
        typer.Option(
            "--resource-pattern-type", help=f"Pattern to match resource names ({choices})."
        ),
    ]


def _split(values: Many) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def spec(
    topic: Many,
    group: Many,
    cluster: bool,
    txn: Many,
    pattern: str,
    operation: Many,
    allow_principal: Many,
    allow_host: Many,
    deny_principal: Many,
    deny_host: Many,
) -> AclSpec:
    return AclSpec(
        topics=_split(topic),
        groups=_split(group),
        cluster=cluster,
        txn_ids=_split(txn),
        pattern=pattern,
        operations=_split(operation),
        allow_principals=_split(allow_principal),
        allow_hosts=_split(allow_host),
        deny_principals=_split(deny_principal),
        deny_hosts=_split(deny_host),
    )


def structured(rows: list[list[str]], with_error: bool) -> list[dict[str, str]]:
    keys = [
        "principal",
        "host",
        "resource_type",
        "resource_name",
        "resource_pattern_type",
        "operation",
        "permission",
    ]
    if with_error:
        keys.append("message")
    return [dict(zip(keys, r, strict=True)) for r in rows]
