"""Records responses as text (core.proxy.render): what a client parses is what the old
decode-and-encode path gave, for every JSON text json.loads accepts; anything else is 40801."""

from __future__ import annotations

import base64
import codecs
import json
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.proxy.errors import ProxyError
from core.proxy.render import RecordWriter, array_text

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)


def _rec(key: bytes | None, value: bytes | None, topic: str = "t\u00e9") -> SimpleNamespace:
    return SimpleNamespace(topic=topic, key=key, value=value, partition=3, offset=42)


def _parsed(fmt: str, rec: SimpleNamespace) -> dict:
    return json.loads(array_text([RecordWriter(fmt).text(rec)]))[0]


@given(JSON_VALUES, st.sampled_from([None, 2]), st.booleans())
def test_json_records_parse_to_their_values(value, indent, ascii_only):
    data = json.dumps(value, indent=indent, ensure_ascii=ascii_only).encode()
    got = _parsed("json", _rec(data, data))
    assert got == {"topic": "t\u00e9", "key": value, "value": value, "partition": 3, "offset": 42}


@given(st.binary(max_size=64))
def test_accepted_exactly_when_json_loads_accepts(data):
    try:
        expected = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        with pytest.raises(ProxyError) as info:
            _parsed("json", _rec(None, data))
        assert info.value.error_code == 40801
        return
    assert _parsed("json", _rec(None, data))["value"] == expected


@pytest.mark.parametrize(
    "data",
    [
        b'"plain"',
        b'""',
        b'"a\\"b"',
        b'"\xc3\xa9"',
        b' {"a": [1, 2]} ',
        codecs.BOM_UTF8 + b'{"a":1}',
        json.dumps({"a": "b"}).encode("utf-16"),
        b"NaN",
    ],
)
def test_json_edge_cases_match_json_loads(data):
    value = _parsed("json", _rec(None, data))["value"]
    expected = json.loads(data)
    assert value == expected or (value != value and expected != expected)  # NaN


@pytest.mark.parametrize("data", [b'"open', b"{", b"\xff\xfe\xfd", b'"a" "b"', b"'single'"])
def test_not_json_is_40801(data):
    with pytest.raises(ProxyError) as info:
        _parsed("json", _rec(b'"k"', data))
    assert info.value.error_code == 40801 and "t\u00e9/3@42" in info.value.message


@given(st.one_of(st.none(), st.binary(max_size=300)), st.one_of(st.none(), st.binary()))
def test_binary_records(key, value):
    got = _parsed("binary", _rec(key, value))
    assert got["key"] == (None if key is None else base64.b64encode(key).decode())
    assert got["value"] == (None if value is None else base64.b64encode(value).decode())
    assert (got["partition"], got["offset"]) == (3, 42)


def test_empty_array():
    assert array_text([]) == b"[]"
