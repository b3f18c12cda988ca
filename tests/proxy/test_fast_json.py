"""Bodies parsed with orjson give what json.loads gives (core.proxy.jsonbody), and the json
format's stored bytes stay json.dumps's when the body came from orjson, including integers
beyond 64 bits, which orjson alone would turn into floats."""

from __future__ import annotations

import json
import uuid

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.proxy.formats import parse_produce
from core.proxy.jsonbody import InexactNumber, fast_loads, loads, plain_strings
from tests.proxy.test_local_produce import read_all
from tests.support.proxy import JSON, V2
from tests.support.topics import make_topic

NUMBERS = st.integers() | st.floats(allow_nan=False, allow_infinity=False)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)
EDGE_BODIES = [
    b"123456789012345678901234567890",
    b"-9223372036854775809",
    b"18446744073709551615",
    b"18446744073709551616",
    b"[1e400, -1e400]",
    b"NaN",
    b'{"a": Infinity}',
    b'"\\ud800"',
    b'{"a":1,"a":2}',
    b"-0.0",
    b"1.5e-320",
    b"3.141592653589793238462643",
    b'"\\u007f\\u0000\\u2028"',
    "[1]".encode("utf-16"),
]


def _json_loads(raw: bytes):
    try:
        return "ok", json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        return "error", type(exc).__name__


def _ours(raw: bytes):
    try:
        return "ok", loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        return "error", type(exc).__name__


@pytest.mark.parametrize("raw", EDGE_BODIES)
def test_edge_bodies_parse_as_json_loads(raw):
    ours, theirs = _ours(raw), _json_loads(raw)
    assert repr(ours) == repr(theirs)  # repr: nan != nan, and 0 vs 0.0


@given(JSON_VALUES)
def test_bodies_parse_as_json_loads(value):
    raw = json.dumps({"records": [{"value": value}]}).encode()
    assert repr(loads(raw)) == repr(json.loads(raw))


@given(JSON_VALUES.filter(lambda v: v is not None), st.booleans())
def test_fast_parsed_json_values_store_json_dumps_bytes(value, ensure_ascii):
    """The produce path: orjson's parse, and json's again when a value may hold an inexact
    number (as routes_topics._parse_records does); strings of a body without backslashes or
    DEL written as they are."""
    raw = json.dumps({"records": [{"key": value, "value": value}]}, ensure_ascii=ensure_ascii)
    data = raw.encode()
    body, exact = fast_loads(data)
    plain = plain_strings(data)
    try:
        records = parse_produce(body, "json", 10, exact, plain)
    except InexactNumber:
        records = parse_produce(json.loads(data), "json", 10, True, plain)
    expected = json.dumps(value, separators=(",", ":")).encode()
    assert records.keys == [expected] and records.values == [expected]


@given(st.text(), st.booleans())
def test_strings_of_plain_bodies_store_json_dumps_bytes(text, ensure_ascii):
    data = json.dumps({"records": [{"value": text}]}, ensure_ascii=ensure_ascii).encode()
    records = parse_produce(orjson.loads(data), "json", 10, False, plain_strings(data))
    assert records.values == [json.dumps(text).encode()]


def test_every_character_in_a_body_is_stored_as_json_dumps():
    for code in range(0x10000):
        if 0xD800 <= code < 0xE000:
            continue  # orjson refuses lone surrogates: json.loads parses those bodies
        for text in (chr(code), f"ab{chr(code)}cd"):
            for data in (
                json.dumps({"records": [{"value": text}]}).encode(),
                json.dumps({"records": [{"value": text}]}, ensure_ascii=False).encode(),
            ):
                records = parse_produce(orjson.loads(data), "json", 10, False, plain_strings(data))
                assert records.values == [json.dumps(text).encode()], hex(code)


def test_big_integers_are_not_stored_as_floats():
    raw = b'{"records":[{"value":{"n":123456789012345678901234567890}}]}'
    body, exact = fast_loads(raw)
    assert not exact
    with pytest.raises(InexactNumber):
        parse_produce(body, "json", 10, exact)


def test_every_character_alone_and_inside_a_string_is_json_dumps():
    for code in range(0x10000):
        char = chr(code)
        for text in (char, f"ab{char}cd"):
            stored = parse_produce({"records": [{"value": text}]}, "json", 10).values[0]
            assert stored == json.dumps(text).encode(), hex(code)


def test_big_integer_value_is_stored_exactly(http, proxy_broker):
    topic = f"fj-{uuid.uuid4().hex[:8]}"
    make_topic(proxy_broker.bootstrap, topic, 1)
    raw = b'{"records":[{"value":{"n":123456789012345678901234567890,"x":"y"}},{"value":"z"}]}'
    r = http.post(f"/topics/{topic}", content=raw, headers={"Content-Type": JSON, "Accept": V2})
    assert r.status_code == 200, r.text
    msgs = read_all(proxy_broker.bootstrap, topic, 0, 2)
    assert [m.value() for m in msgs] == [b'{"n":123456789012345678901234567890,"x":"y"}', b'"z"']
