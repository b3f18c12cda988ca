"""Embedded formats: produce bodies to (key, value, partition) bytes, records to JSON."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from core.proxy.codecs import Codec, decode_record, split_wire
from core.proxy.errors import INVALID_DATA, SERIALIZATION, ProxyError
from core.proxy.media import BINARY, SCHEMA_FORMATS

MAX_PARTITION = 2**31 - 1


@dataclass(frozen=True, slots=True)
class OutRecord:
    key: bytes | None
    value: bytes | None
    partition: int | None


def _binary(raw: Any, what: str, index: int) -> bytes | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ProxyError(INVALID_DATA, f"records[{index}].{what} must be a base64 string or null")
    try:
        return binascii.a2b_base64(raw, strict_mode=True)
    except (binascii.Error, ValueError):
        raise ProxyError(INVALID_DATA, f"records[{index}].{what} is not valid base64") from None


def _json(raw: Any) -> bytes | None:
    if raw is None:
        return None
    return json.dumps(raw, separators=(",", ":")).encode()


def _partition(raw: Any, index: int) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_PARTITION:
        raise ProxyError(INVALID_DATA, f"records[{index}].partition must be a partition number")
    return raw


def produce_items(body: Any, max_records: int) -> list[dict[str, Any]]:
    """The record objects of a produce body; 422 (42205) for anything malformed."""
    if not isinstance(body, dict):
        raise ProxyError(INVALID_DATA, "expected a JSON object with a 'records' array")
    records = body.get("records")
    if not isinstance(records, list):
        raise ProxyError(INVALID_DATA, "field 'records' must be an array")
    if len(records) > max_records:
        raise ProxyError(INVALID_DATA, f"at most {max_records} records per request")
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise ProxyError(INVALID_DATA, f"records[{i}] must be an object")
    return records


def parse_produce(body: Any, fmt: str, max_records: int) -> list[OutRecord]:
    """The records of a binary or json produce body; 422 (42205) for anything malformed."""
    out = []
    for i, rec in enumerate(produce_items(body, max_records)):
        if fmt == BINARY:
            key, value = _binary(rec.get("key"), "key", i), _binary(rec.get("value"), "value", i)
        else:
            key, value = _json(rec.get("key")), _json(rec.get("value"))
        if key is None and value is None:  # aiokafka cannot send a record without both
            raise ProxyError(INVALID_DATA, f"records[{i}] needs a key or a value")
        out.append(OutRecord(key, value, _partition(rec.get("partition"), i)))
    return out


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def _from_json(data: bytes | None, topic: str, partition: int, offset: int) -> Any:
    if data is None:
        return None
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise ProxyError(
            SERIALIZATION,
            f"record {topic}/{partition}@{offset} is not JSON; read it with the binary format",
        ) from None


def schema_ids(records: list[Any]) -> set[int]:
    """The schema ids named by records in Confluent's wire format."""
    ids = set()
    for rec in records:
        for data in (rec.key, rec.value):
            split = split_wire(data) if data else None
            if split is not None:
                ids.add(split[0])
    return ids


def render_record(fmt: str, rec: Any, codecs: dict[int, Codec] | None = None) -> dict[str, Any]:
    """An aiokafka ConsumerRecord as the v2 records response entry; the schema formats decode
    with `codecs` (by schema id, resolved beforehand)."""
    if fmt == BINARY:
        key, value = _b64(rec.key), _b64(rec.value)
    elif fmt in SCHEMA_FORMATS:
        where = f"record {rec.topic}/{rec.partition}@{rec.offset}"
        key = decode_record(codecs or {}, rec.key, f"the key of {where}")
        value = decode_record(codecs or {}, rec.value, f"the value of {where}")
    else:
        key = _from_json(rec.key, rec.topic, rec.partition, rec.offset)
        value = _from_json(rec.value, rec.topic, rec.partition, rec.offset)
    return {
        "topic": rec.topic,
        "key": key,
        "value": value,
        "partition": rec.partition,
        "offset": rec.offset,
    }


def record_size(rec: Any) -> int:
    return len(rec.key or b"") + len(rec.value or b"")
