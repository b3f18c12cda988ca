"""Produce bodies of the schema formats (avro, jsonschema, protobuf): the schemas named or
registered (TopicNameStrategy: `<topic>-key`, `<topic>-value`), every record validated and
encoded in Confluent's wire format."""

from __future__ import annotations

import json
from typing import Any

from core.proxy.codecs import FORMAT_TYPES, encode_record
from core.proxy.errors import INVALID_DATA, SERIALIZATION, ProxyError
from core.proxy.formats import Records, add_partition, produce_items
from core.proxy.registry import RegistryClient

KEY_SCHEMA_MISSING = 42201
VALUE_SCHEMA_MISSING = 42202


def _schema_text(raw: Any, field: str) -> str:
    if isinstance(raw, str) and raw.strip():
        return raw
    if isinstance(raw, (dict, list)):  # an Avro or JSON schema given inline as JSON
        return json.dumps(raw)
    raise ProxyError(INVALID_DATA, f"{field} must be the schema as a string")


async def _schema_id(
    registry: RegistryClient, body: dict[str, Any], part: str, fmt: str, subject: str
) -> int | None:
    raw_id = body.get(f"{part}_schema_id")
    raw_schema = body.get(f"{part}_schema")
    if raw_id is not None:
        if isinstance(raw_id, bool) or not isinstance(raw_id, int) or raw_id < 0:
            raise ProxyError(INVALID_DATA, f"{part}_schema_id must be a schema id")
        return raw_id
    if raw_schema is None:
        return None
    text = _schema_text(raw_schema, f"{part}_schema")
    return await registry.register(subject, FORMAT_TYPES[fmt], text)


async def _codec(registry: RegistryClient, schema_id: int, fmt: str) -> Any:
    schema_type, codec = await registry.codec(schema_id)
    if schema_type != FORMAT_TYPES[fmt]:
        raise ProxyError(
            SERIALIZATION,
            f"schema {schema_id} is a {schema_type} schema, not one for the {fmt} format",
        )
    return codec


async def encode_produce(
    registry: RegistryClient, body: Any, fmt: str, topic: str, max_records: int
) -> tuple[Records, int | None, int | None]:
    """(records in wire format, key schema id, value schema id)."""
    items = produce_items(body, max_records)
    has_keys = any(rec.get("key") is not None for rec in items)
    has_values = any(rec.get("value") is not None for rec in items)
    key_id = await _schema_id(registry, body, "key", fmt, f"{topic}-key")
    value_id = await _schema_id(registry, body, "value", fmt, f"{topic}-value")
    if has_keys and key_id is None:
        raise ProxyError(
            KEY_SCHEMA_MISSING,
            "Request includes keys but does not include key_schema or key_schema_id",
        )
    if has_values and value_id is None:
        raise ProxyError(
            VALUE_SCHEMA_MISSING,
            "Request includes values but does not include value_schema or value_schema_id",
        )
    key_codec = await _codec(registry, key_id, fmt) if has_keys and key_id is not None else None
    value_codec = (
        await _codec(registry, value_id, fmt) if has_values and value_id is not None else None
    )
    keys: list[bytes | None] = []
    values: list[bytes | None] = []
    partitions: list[int | None] | None = None
    for i, rec in enumerate(items):
        key, value = rec.get("key"), rec.get("value")
        key_bytes = value_bytes = None
        if key is not None:
            assert key_codec is not None and key_id is not None  # has_keys
            key_bytes = encode_record(key_codec, key_id, key, f"records[{i}].key")
        if value is not None:
            assert value_codec is not None and value_id is not None  # has_values
            value_bytes = encode_record(value_codec, value_id, value, f"records[{i}].value")
        if key_bytes is None and value_bytes is None:
            raise ProxyError(INVALID_DATA, f"records[{i}] needs a key or a value")
        keys.append(key_bytes)
        values.append(value_bytes)
        partitions = add_partition(partitions, rec, i)
    return Records(keys, values, partitions), key_id, value_id
