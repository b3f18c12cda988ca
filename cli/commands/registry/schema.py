"""`rpk registry schema`: create, get, list, delete, check-compatibility, references."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from cli._app import add_command, new_group
from cli.clients.registry import RegistryError
from cli.commands.registry import _common as c
from cli.errors import UsageError
from cli.options import FormatOpt, with_globals
from cli.output import check_format, print_structured, print_table

TypeOpt = Annotated[
    Optional[str],
    typer.Option(
        "--type", help="Schema type (avro,protobuf,json); overrides schema file extension"
    ),
]
VersionOpt = Annotated[
    str, typer.Option("--schema-version", help="Schema version (latest, 0, 1...)")
]
RefsOpt = Annotated[
    Optional[str],
    typer.Option(
        "--references",
        help="Comma-separated list of references (name:subject:version) or path to reference file",
    ),
]


@with_globals
def create(
    subject: Annotated[str, typer.Argument()],
    schema: Annotated[
        str,
        typer.Option("--schema", help="Schema filepath to upload, must be .avro, .avsc, or .proto"),
    ],
    type_: TypeOpt = None,
    references: RefsOpt = None,
    fmt: FormatOpt = "text",
) -> None:
    """Create a schema for the given subject."""
    kind = c.schema_type(type_, schema)
    text = c.read_schema(schema)
    cl = c.client()
    try:
        cl.register(subject, c.schema_body(text, kind, c.parse_references(references)))
        found = cl.lookup(subject, c.schema_body(text, kind, c.parse_references(references)))
    except RegistryError as exc:
        raise UsageError(f"unable to create schema: {exc}") from None
    c.print_subject_schemas(fmt, [c.subject_schema_row(found)], single=True)


@with_globals
def get(
    subject: Annotated[Optional[str], typer.Argument()] = None,
    schema_version: Annotated[
        Optional[str],
        typer.Option(
            "--schema-version", help="Schema version to lookup (latest, 0, 1...); subject required"
        ),
    ] = None,
    id_: Annotated[
        int, typer.Option("--id", help="ID to lookup schemas usages of; subject optional")
    ] = 0,
    schema: Annotated[
        Optional[str],
        typer.Option(
            "--schema",
            help="Schema file to check existence of, must be .avro, .json or .proto; subject required",
        ),
    ] = None,
    type_: TypeOpt = None,
    deleted: Annotated[
        bool, typer.Option("--deleted", help="If true, also return deleted schemas")
    ] = False,
    print_schema: Annotated[
        bool, typer.Option("--print-schema", help="Prints the schema in JSON format")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Get a schema by version, ID, or by an existing schema."""
    if print_schema and check_format(fmt) != "text":
        raise UsageError(f"--print-schema cannot be used along with --format {fmt}")
    given = sum(1 for v in (schema_version, id_ or None, schema) if v)
    if given == 0:
        raise UsageError("Must specify at least one of --schema-version, --id, or --schema.")
    if given > 1:
        raise UsageError("Must specify only one of --schema-version, --id, or --schema.")
    if subject is None and (schema_version or schema):
        raise UsageError("Subject must be specified for --schema-version or --schema.")
    cl = c.client()
    if schema_version:
        found = [cl.version(subject, c.parse_version(schema_version), deleted)]
    elif schema:
        body = c.schema_body(c.read_schema(schema), c.schema_type(type_, schema))
        found = [cl.lookup(subject, body, deleted)]
    else:
        usages = cl.usages(id_, deleted)
        if subject is not None:
            usages = [u for u in usages if u["subject"] == subject] or usages
        found = [cl.version(u["subject"], str(u["version"]), True) for u in usages]
    if print_schema:
        _print_schema(found)
        return
    c.print_subject_schemas(fmt, [c.subject_schema_row(s) for s in found])


def _print_schema(found: list[dict]) -> None:
    if not found:
        print("No schema was found")
        return
    s = found[0]
    if s.get("schemaType") == "PROTOBUF":
        print(s["schema"])
        return
    try:
        print(json.dumps(json.loads(s["schema"]), indent=2))
    except ValueError:
        print(s["schema"])


@with_globals
def list_(
    subjects: Annotated[Optional[list[str]], typer.Argument()] = None,
    deleted: Annotated[
        bool, typer.Option("--deleted", help="If true, list deleted schemas as well")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """List the schemas for the requested subjects, or list all schemas."""
    cl = c.client()
    wanted = subjects or cl.subjects(deleted)
    rows = []
    for subject in sorted(wanted):
        try:
            for version in cl.versions(subject, deleted):
                rows.append(c.subject_schema_row(cl.version(subject, str(version), deleted)))
        except RegistryError as exc:
            rows.append({"subject": subject, "error": str(exc)})
    fmt = check_format(fmt)
    if fmt != "text":
        print_structured(rows, fmt)
        return
    print_table(
        ["subject", "version", "id", "type", "error"],
        [
            [
                r["subject"],
                r.get("version", ""),
                r.get("id", ""),
                r.get("type", ""),
                r.get("error", ""),
            ]
            for r in rows
        ],
    )


@with_globals
def delete(
    subject: Annotated[str, typer.Argument()],
    schema_version: Annotated[
        str, typer.Option("--schema-version", help="Schema version to delete (latest, 0, 1...)")
    ],
    permanent: Annotated[
        bool, typer.Option("--permanent", help="Perform a hard (permanent) delete of the schema")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Delete a specific schema for the given subject."""
    version = c.parse_version(schema_version)
    cl = c.client()
    if permanent:
        try:
            cl.delete_version(subject, version, False)
        except RegistryError as exc:
            if exc.error_code != 40406:  # already soft-deleted is fine
                raise UsageError(
                    f"unable to perform initial soft-deletion that is required for hard-deletion: {exc}"
                ) from None
        try:
            cl.delete_version(subject, version, True)
        except RegistryError as exc:
            raise UsageError(f"unable to perform hard-deletion: {exc}") from None
    else:
        cl.delete_version(subject, version, False)
    fmt = check_format(fmt)
    if fmt != "text":
        print_structured({"subject": subject, "version": schema_version}, fmt)
        return
    print(f'Successfully deleted schema. Subject: "{subject}", version: "{schema_version}"')


@with_globals
def check_compatibility(
    subject: Annotated[str, typer.Argument()],
    schema: Annotated[
        str,
        typer.Option("--schema", help="Schema filepath to check, must be .avro, .json, or .proto"),
    ],
    schema_version: Annotated[
        str,
        typer.Option(
            "--schema-version", help="Schema version to check compatibility with (latest, 0, 1...)"
        ),
    ],
    type_: TypeOpt = None,
    references: RefsOpt = None,
    fmt: FormatOpt = "text",
) -> None:
    """Check schema compatibility with existing schemas in the subject."""
    version = c.parse_version(schema_version)
    body = c.schema_body(
        c.read_schema(schema), c.schema_type(type_, schema), c.parse_references(references)
    )
    try:
        result = c.client().check(subject, version, body)
    except RegistryError as exc:
        raise UsageError(f"unable to check compatibility: {exc}") from None
    compatible, messages = bool(result.get("is_compatible")), result.get("messages") or []
    fmt = check_format(fmt)
    if fmt != "text":
        value = {"compatible": compatible, **({"messages": messages} if messages else {})}
        print_structured(value, fmt)
        return
    if compatible:
        print("Schema is compatible.")
    else:
        print("Schema is not compatible.")
        if messages:
            print(messages)


@with_globals
def references(
    subject: Annotated[str, typer.Argument()],
    schema_version: Annotated[
        str,
        typer.Option(
            "--schema-version", help="Schema version to check references with (latest, 0, 1...)"
        ),
    ],
    deleted: Annotated[
        bool, typer.Option("--deleted", help="If true, list deleted schemas as well")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Retrieve a list of schemas that reference the subject."""
    cl = c.client()
    version = c.parse_version(schema_version)
    try:
        ids = cl.referenced_by(subject, version)
    except RegistryError as exc:
        raise UsageError(
            f'unable to check for references of subject "{subject}" and version "{schema_version}": {exc}'
        ) from None
    rows = []
    for schema_id in ids:
        for usage in cl.usages(schema_id, deleted):
            rows.append(
                c.subject_schema_row(cl.version(usage["subject"], str(usage["version"]), deleted))
            )
    c.print_subject_schemas(fmt, rows)


def register(root: typer.Typer) -> None:
    app = new_group("schema", "Manage your schema registry schemas.")
    add_command(app, create, "create")
    add_command(app, get, "get")
    add_command(app, list_, "list", aliases=("ls",))
    add_command(app, delete, "delete")
    add_command(app, check_compatibility, "check-compatibility")
    add_command(app, references, "references")
    root.add_typer(app, name="schema")
