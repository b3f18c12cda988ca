"""Embedded formats: produce bodies to (key, value, partition) bytes, records to JSON."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any

import orjson

from core.proxy.codecs import Codec, decode_record, split_wire
from core.proxy.errors import INVALID_DATA, SERIALIZATION, ProxyError
from core.proxy.jsonbody import InexactNumber
from core.proxy.media import BINARY, SCHEMA_FORMATS

MAX_PARTITION = 2**31 - 1


@dataclass(slots=True)
class Records:
    """A produce request's records, column by column (no object per record)."""

    keys: list[bytes | None]
    values: list[bytes | None]
    partitions: list[int | None] | None = None  # None when no record names a partition


def _binary(raw: Any, what: str, index: int) -> bytes:
    if not isinstance(raw, str):
        raise ProxyError(INVALID_DATA, f"records[{index}].{what} must be a base64 string or null")
    try:
        return binascii.a2b_base64(raw, strict_mode=True)
    except (binascii.Error, ValueError):
        raise ProxyError(INVALID_DATA, f"records[{index}].{what} is not valid base64") from None


_ENCODER = json.JSONEncoder(separators=(",", ":"))


def _json(raw: Any, what: str, index: int) -> bytes:
    """json.dumps(raw, separators=(",", ":")), byte for byte. A string (the common value)
    skips the encoder: orjson writes an ASCII string without DEL as json.dumps does when it
    escapes nothing (only '"', '\\' and controls below 0x20 are escaped, each lengthening the
    output, which the length check sees); others go through json's own string encoder."""
    if type(raw) is str:
        if raw.isascii() and "\x7f" not in raw:
            data = orjson.dumps(raw)
            if len(data) == len(raw) + 2:
                return data
        return encode_basestring_ascii(raw).encode()
    return _ENCODER.encode(raw).encode()


Convert = Callable[[Any, str, int], bytes]


def json_converter(exact: bool, plain: bool) -> Convert:
    """_json for values of a body parsed by orjson unless `exact` (from json.loads), whose
    strings need no escaping when `plain` (core.proxy.jsonbody.plain_strings): an ASCII one
    is then written quoted as it is. Integers beyond 64 bits became floats in orjson: a value
    whose encoding holds a float that may be one (repr writes floats from 1e16 up with an
    exponent) raises InexactNumber, for the caller to parse the body again with json."""

    def convert(raw: Any, what: str, index: int) -> bytes:
        if plain and type(raw) is str and raw.isascii():
            return f'"{raw}"'.encode()
        data = _json(raw, what, index)
        if not exact and type(raw) is not str and b"e+" in data:
            raise InexactNumber
        return data

    return convert


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


def parse_produce(
    body: Any, fmt: str, max_records: int, exact: bool = True, plain: bool = False
) -> Records:
    """The records of a binary or json produce body; 422 (42205) for anything malformed.
    `exact` and `plain`: how the body was parsed (json_converter)."""
    convert = _binary if fmt == BINARY else json_converter(exact, plain)
    keys: list[bytes | None] = []
    values: list[bytes | None] = []
    partitions: list[int | None] | None = None
    for i, rec in enumerate(produce_items(body, max_records)):
        raw_key, raw_value = rec.get("key"), rec.get("value")
        if raw_key is None and raw_value is None:  # aiokafka cannot send a record without both
            raise ProxyError(INVALID_DATA, f"records[{i}] needs a key or a value")
        keys.append(None if raw_key is None else convert(raw_key, "key", i))
        values.append(None if raw_value is None else convert(raw_value, "value", i))
        if partitions is not None or rec.get("partition") is not None:
            partitions = add_partition(partitions, rec, i)
    return Records(keys, values, partitions)


def add_partition(
    partitions: list[int | None] | None, rec: dict[str, Any], index: int
) -> list[int | None] | None:
    """`partitions` with records[index]'s partition appended; None until one names one."""
    raw = rec.get("partition")
    if raw is None:
        if partitions is not None:
            partitions.append(None)
        return partitions
    if partitions is None:
        partitions = [None] * index
    partitions.append(_partition(raw, index))
    return partitions


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
