"""The produce path's parsing and grouping (no broker): the JSON format's bytes are exactly
json.dumps's, records are grouped as Kafka's partitioners would, errors name the record."""

from __future__ import annotations

import binascii
import json
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.proxy.errors import ProxyError
from core.proxy.formats import Records, _binary, parse_produce
from core.proxy.produce import group, response_text

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)


@given(st.text())
def test_json_strings_are_json_dumps_bytes(text):
    records = parse_produce({"records": [{"value": text}]}, "json", 10)
    assert records.values == [json.dumps(text, separators=(",", ":")).encode()]


@given(JSON_VALUES.filter(lambda v: v is not None))
def test_json_values_are_json_dumps_bytes(value):
    records = parse_produce({"records": [{"key": value, "value": value}]}, "json", 10)
    expected = json.dumps(value, separators=(",", ":")).encode()
    assert records.keys == [expected] and records.values == [expected]


def test_plain_and_escaped_strings():
    for text in ("x" * 1022, 'a"b', "a\\b", "tab\t", "del\x7f", "é", "", "\u2028"):
        records = parse_produce({"records": [{"value": text}]}, "json", 10)
        assert records.values[0] == json.dumps(text).encode()


def test_partitions_are_kept_only_when_named():
    body = {"records": [{"value": "a"}, {"value": "b", "partition": 2}, {"value": "c"}]}
    assert parse_produce(body, "json", 10).partitions == [None, 2, None]
    assert parse_produce({"records": [{"value": "a"}]}, "json", 10).partitions is None


@pytest.mark.parametrize(
    "body, message",
    [
        ({"records": [{"value": "AA=="}, {}]}, "records[1] needs a key or a value"),
        ({"records": [{"value": "AA==", "partition": -1}]}, "records[0].partition"),
        ({"records": [{"value": "AA==", "partition": True}]}, "records[0].partition"),
        ({"records": [{"value": "not base64!"}]}, "records[0].value is not valid base64"),
        ({"records": [{"key": 5, "value": "AA=="}]}, "records[0].key must be a base64"),
        ({"records": "x"}, "'records' must be an array"),
    ],
)
def test_errors_name_the_record(body, message):
    with pytest.raises(ProxyError) as info:
        parse_produce(body, "binary", 10)
    assert info.value.error_code == 42205 and message in info.value.message


def test_grouping():
    keyless = Records([None] * 4, [b"v"] * 4)
    assert group(keyless, 3, sticky=1, fixed=None) == {1: range(4)}
    assert group(keyless, 3, sticky=1, fixed=2) == {2: range(4)}
    keyed = Records([b"a", None, b"a", b"b"], [b"v"] * 4, [None, None, None, 0])
    groups = group(keyed, 3, sticky=1, fixed=None)
    by_record = {i: p for p, members in groups.items() for i in members}
    assert by_record[0] == by_record[2] and by_record[1] == 1 and by_record[3] == 0
    assert sorted(i for members in groups.values() for i in members) == [0, 1, 2, 3]


def test_response_text_is_json():
    text = response_text(None, 7, ['{"partition":0,"offset":5}'])
    assert json.loads(text) == {
        "key_schema_id": None,
        "value_schema_id": 7,
        "offsets": [{"partition": 0, "offset": 5}],
    }


def _strict(text: str) -> bytes | None:
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        return None


@given(st.text(alphabet=string.ascii_letters + string.digits + "+/=\n -\u00e9", max_size=16))
def test_base64_decodes_as_strict_mode(text):
    try:
        mine: bytes | None = _binary(text, "value", 0)
    except ProxyError:
        mine = None
    assert mine == _strict(text)


@given(st.binary(max_size=3000))
def test_base64_round_trip(data):
    assert _binary(binascii.b2a_base64(data, newline=False).decode(), "value", 0) == data
