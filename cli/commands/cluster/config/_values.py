"""Turning CLI strings into typed property values, and values back into text and YAML files."""

from __future__ import annotations

import json
from typing import Any

import yaml

from cli.clients.admin import AdminApiError
from cli.errors import CliError
from core.config.cluster_properties import value_from_text


def parse_value(text: str, entry: dict[str, Any] | None) -> Any:
    """Type a CLI string by the broker's schema entry; what does not parse is sent as given,
    for the broker to reject with its own per-key message."""
    if entry is None:
        return text
    return value_from_text(
        text,
        str(entry.get("type", "string")),
        nullable=bool(entry.get("nullable")),
        items_type=(entry.get("items") or {}).get("type", "string"),
    )


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, dict)):
        return yaml.safe_dump(value, default_flow_style=False, sort_keys=False).rstrip()
    return str(value)


def in_scope(entry: dict[str, Any], include_tunables: bool) -> bool:
    visibility = entry.get("visibility", "user")
    return visibility == "user" or (include_tunables and visibility == "tunable")


def render_export(
    values: dict[str, Any], schema: dict[str, dict[str, Any]], include_tunables: bool
) -> str:
    """A YAML document with each property's description and default as comments."""
    blocks = []
    for name in sorted(values):
        entry = schema.get(name)
        if entry is None or not in_scope(entry, include_tunables):
            continue
        comment = f"# {entry.get('description', '').strip()}\n#   Default: {json.dumps(entry.get('default'))}\n"
        blocks.append(
            comment
            + yaml.safe_dump({name: values[name]}, default_flow_style=False, sort_keys=False)
        )
    return "\n".join(blocks)


def explain_rejection(exc: AdminApiError) -> CliError:
    """rpk's `No changes were made: Validation errors:` with a ` * key: message` line each."""
    errors = exc.body.get("errors", exc.body) if isinstance(exc.body, dict) else None
    if not isinstance(errors, dict) or not errors:
        return exc
    lines = "".join(f" * {k}: {v}\n" for k, v in sorted(errors.items()))
    error = CliError(f"No changes were made: Validation errors:\n{lines}\n")
    error.multiline = True
    return error


def version_message(version: int) -> str:
    return f"Successfully updated configuration. New configuration version is {version}."
