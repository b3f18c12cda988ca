"""Shared pieces of `rpk registry`: the client, schema files and types, references, output."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from cli import options
from cli.clients.registry import RegistryClient
from cli.errors import UsageError
from cli.output import check_format, print_structured, print_table

SUPPORTED_TYPES = ("avro", "protobuf", "json")
_REFERENCE = re.compile(r"^([a-zA-Z]+://[^:]+(?::\d+)?(?:/[^:]+)*|[^:]+):([^:]+):([^:]+)$")


def client() -> RegistryClient:
    return RegistryClient(list(options.params().registry_urls))


def parse_version(text: str) -> str:
    """rpk's version flag: `latest` or an integer >= -1, sent as the path segment."""
    if text == "latest":
        return "latest"
    try:
        number = int(text)
    except ValueError:
        raise UsageError(f'unable to parse version "{text}"') from None
    if number < -1:
        raise UsageError(f"invalid version {number}")
    return "latest" if number == -1 else str(number)


def schema_type(type_flag: str | None, schema_file: str) -> str:
    if type_flag:
        value = type_flag.lower()
        for names, kind in ((("avro", "avsc"), "AVRO"), (("proto", "protobuf"), "PROTOBUF")):
            if value in names:
                return kind
        if value == "json":
            return "JSON"
        raise UsageError(f'unrecognized type "{type_flag}"')
    if schema_file.endswith((".avro", ".avsc")):
        return "AVRO"
    if schema_file.endswith((".proto", ".protobuf")):
        return "PROTOBUF"
    if schema_file.endswith(".json"):
        return "JSON"
    raise UsageError(f'unable to determine the schema type from "{schema_file}"')


def read_schema(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise UsageError(f'unable to read "{path}": {exc.strerror or exc}') from None


def parse_references(flag: str | None) -> list[dict]:
    """`name:subject:version,...`, or a file of such triples (json, yaml or whitespace lines)."""
    if not flag:
        return []
    if ":" in flag and not Path(flag).exists():
        refs = []
        for item in flag.split(","):
            match = _REFERENCE.match(item)
            if not match:
                raise UsageError(
                    f'unable to parse reference flag "{flag}": unexpected format "{flag}", '
                    "please use name:subject:version format"
                )
            name, subject, version = match.groups()
            refs.append({"name": name, "subject": subject, "version": _int(version, flag)})
        return refs
    return _reference_file(flag)


def _int(text: str, flag: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(f'unable to parse reference flag "{flag}": bad version "{text}"') from None


def _reference_file(path: str) -> list[dict]:
    text = read_schema(path)
    try:
        loaded = json.loads(text) if text.lstrip().startswith("[") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        loaded = None
    if isinstance(loaded, list) and all(isinstance(r, dict) for r in loaded):
        return [
            {"name": r["name"], "subject": r["subject"], "version": int(r["version"])}
            for r in loaded
        ]
    refs = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3:
            refs.append({"name": parts[0], "subject": parts[1], "version": _int(parts[2], path)})
        elif parts:
            raise UsageError(f"unable to parse reference file: bad line {line!r}")
    return refs


def schema_body(text: str, kind: str, references: list[dict] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": text, "schemaType": kind}
    if references:
        body["references"] = references
    return body


def subject_schema_row(s: dict) -> dict:
    return {
        "subject": s["subject"],
        "version": s["version"],
        "id": s["id"],
        "type": s.get("schemaType") or "AVRO",
    }


def print_subject_schemas(fmt: str, rows: list[dict], single: bool = False) -> None:
    fmt = check_format(fmt)
    if fmt != "text":
        print_structured(rows[0] if single and len(rows) == 1 else rows, fmt)
        return
    print_table(
        ["subject", "version", "id", "type"],
        [[r["subject"], r["version"], r["id"], r["type"]] for r in rows],
    )
