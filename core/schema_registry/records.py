"""The `_schemas` topic's records in Confluent's format (Karapace reads and writes it too).

Keys are JSON objects with `keytype`, `subject`, `version` (SCHEMA only) and `magic`, written in
Confluent's field order so that compaction keeps one record per key.
"""

from __future__ import annotations

import json
from typing import Any

TOPIC = "_schemas"


def _dump(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def schema_key(subject: str, version: int) -> bytes:
    return _dump({"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1})


def config_key(subject: str | None) -> bytes:
    return _dump({"keytype": "CONFIG", "subject": subject, "magic": 0})


def mode_key(subject: str | None) -> bytes:
    return _dump({"keytype": "MODE", "subject": subject, "magic": 0})


def schema_value(
    subject: str,
    version: int,
    schema_id: int,
    schema_type: str,
    schema: str,
    references: list[dict],
    deleted: bool,
) -> bytes:
    value: dict[str, Any] = {"subject": subject, "version": version, "id": schema_id}
    if schema_type != "AVRO":
        value["schemaType"] = schema_type
    if references:
        value["references"] = references
    value["schema"] = schema
    value["deleted"] = deleted
    return _dump(value)


def config_value(subject: str | None, level: str) -> bytes:
    value = {"compatibilityLevel": level}
    return _dump({"subject": subject, **value} if subject is not None else value)


def mode_value(subject: str | None, mode: str) -> bytes:
    return _dump({"subject": subject, "mode": mode} if subject is not None else {"mode": mode})


def decode(raw: bytes | None) -> Any:
    """A key or value as JSON; None for a tombstone; `...` for bytes that are not JSON."""
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return ...
