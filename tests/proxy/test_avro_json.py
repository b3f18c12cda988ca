"""Avro's JSON encoding in and out of the proxy's Avro codec: every Avro type, union branches
by name, and errors naming the path of what is wrong."""

from __future__ import annotations

import io
import json
import re

import fastavro
import pytest

from core.proxy.codecs import AvroCodec, CodecError

SCHEMA = {
    "type": "record",
    "name": "R",
    "namespace": "ns",
    "fields": [
        {"name": "id", "type": "int"},
        {"name": "label", "type": ["null", "string"]},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"]}},
        {"name": "u", "type": ["null", "E", {"type": "fixed", "name": "F", "size": 2}]},
        {"name": "m", "type": {"type": "map", "values": "bytes"}},
        {"name": "a", "type": {"type": "array", "items": "double"}},
        {"name": "d", "type": "string", "default": "dflt"},
    ],
}
VALUE = {
    "id": 1,
    "label": {"string": "x"},
    "ts": 5,
    "e": "B",
    "u": {"ns.F": "\u00ff\u0000"},
    "m": {"k": "\u00fe"},
    "a": [1.0, 2.5],
    "d": "given",
}


def test_round_trip_and_binary_matches_fastavro():
    codec = AvroCodec(json.dumps(SCHEMA), [])
    data = codec.encode(VALUE)
    assert codec.decode(data) == VALUE
    plain = {**VALUE, "label": "x", "u": b"\xff\x00", "m": {"k": b"\xfe"}, "ts": 5}
    reference = fastavro.parse_schema(
        json.loads(json.dumps(SCHEMA).replace("timestamp-millis", "x"))
    )
    assert fastavro.schemaless_reader(io.BytesIO(data), reference, None) == plain
    short = {**VALUE, "u": {"E": "A"}}
    assert codec.decode(codec.encode(short))["u"] == {"ns.E": "A"}
    without_default = {k: v for k, v in VALUE.items() if k != "d"}
    assert codec.decode(codec.encode(without_default))["d"] == "dflt"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"id": "x"}, "id: expected int"),
        ({"id": 2**31}, "id: expected int"),
        ({"label": "x"}, "label: a union value"),
        ({"e": "C"}, "e: 'C' is not a symbol"),
        ({"u": {"F": "abc"}}, "u<F>: fixed of size 2"),
        ({"u": {"G": "ab"}}, "u: 'G' is not one of"),
        ({"a": [1, "x"]}, "a[1]: expected double"),
        ({"m": {"k": "\u0100"}}, "m.k: bytes must be code points"),
    ],
)
def test_errors_name_the_path(change, where):
    codec = AvroCodec(json.dumps(SCHEMA), [])
    with pytest.raises(CodecError, match=re.escape(where)):
        codec.encode({**VALUE, **change})


def test_missing_field_without_default():
    codec = AvroCodec(json.dumps(SCHEMA), [])
    with pytest.raises(CodecError, match="id: missing"):
        codec.encode({k: v for k, v in VALUE.items() if k != "id"})
