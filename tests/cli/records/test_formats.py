"""rpk's -o offset syntax and its %-format language (input and output), as pure functions."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli.errors import UsageError
from cli.records.informat import ByteReader, InputFormat
from cli.records.offsets import Bound, OffsetSpec, parse_offset, resolve
from cli.records.outformat import Record, compile_format, to_json

NOW = 1_800_000_000_000


@pytest.mark.parametrize(
    "text,start,end",
    [
        ("start", ("start", 0), None),
        ("oldest", ("start", 0), None),
        ("end", ("end", 0), None),
        ("7", ("exact", 7), None),
        ("+2", ("after_start", 2), None),
        ("-3", ("before_end", 3), None),
        ("1:4", ("exact", 1), ("exact", 4)),
        (":end", ("start", 0), ("end", 0)),
        ("@1700000000000", ("timestamp", 1700000000000), None),
        ("@1700000000", ("timestamp", 1700000000000), None),
        ("@2024-01-02", ("timestamp", 1704153600000), None),
        ("@-1h", ("timestamp", NOW - 3600000), None),
        ("@:2024-01-01", ("start", 0), ("timestamp", 1704067200000)),
        ("@2024-01-01:+1h", ("timestamp", 1704067200000), ("timestamp", 1704070800000)),
        (
            "@2024-01-01T00:00:00Z:2024-01-01T01:00:00Z",
            ("timestamp", 1704067200000),
            ("timestamp", 1704070800000),
        ),
    ],
)
def test_parse_offset(text, start, end):
    spec = parse_offset(text, now_ms=NOW)
    assert spec == OffsetSpec(Bound(*start), Bound(*end) if end else None)


@pytest.mark.parametrize("text", ["", "x", "1:x", "--1", "@", "@yesterday"])
def test_bad_offsets(text):
    with pytest.raises(UsageError):
        parse_offset(text, now_ms=NOW)


def test_resolve_clamps_to_the_log():
    assert resolve(Bound("before_end", 100), 5, 10) == 5
    assert resolve(Bound("after_start", 2), 5, 10) == 7
    assert resolve(Bound("exact", 50), 5, 10) == 10
    assert resolve(Bound("timestamp", 1), 5, 10, by_time=None) == 10
    assert resolve(Bound("timestamp", 1), 5, 10, by_time=6) == 6


def _parse_all(fmt: str, data: bytes) -> list:
    fmt_ = InputFormat(fmt)
    reader = ByteReader(io.BytesIO(data), chunk=3)  # tiny chunks exercise the buffering
    out = []
    for _ in range(1000):
        rec = fmt_.read(reader)
        if rec is None:
            return out
        out.append(rec)
    raise AssertionError("runaway parse")


def test_input_formats():
    recs = _parse_all("%k|%v\\n", b"a|1\nb|2\nlast|x")
    assert [(r.key, r.value) for r in recs] == [(b"a", b"1"), (b"b", b"2"), (b"last", b"x")]
    rec = _parse_all("%K %k %V %v\\n", b"2 ab 3 c\nd\n")[0]
    assert (rec.key, rec.value) == (b"ab", b"c\nd")
    rec = _parse_all("%t %p %H %h{%k=%v;}%v{hex}\\n", b"tp 2 2 a=1;b=2;6869\n")[0]
    assert (rec.topic, rec.partition, rec.headers, rec.value) == (
        "tp",
        2,
        [("a", b"1"), ("b", b"2")],
        b"hi",
    )
    assert _parse_all("%v{base64}\\n", b"aGk=\n")[0].value == b"hi"
    with pytest.raises(UsageError):
        InputFormat("%h{%k=%v}")
    with pytest.raises(UsageError):
        _parse_all("%k|%v\\n", b"a-1\n")[0]


def test_output_formats():
    rec = Record("foo", 1, 5, b"k1", b"v1", 1700000000123, [("h", b"x")])
    assert compile_format("%t %k %v %p %o %d\\n")(rec) == b"foo k1 v1 1 5 1700000000123\n"
    assert compile_format("%T|%K|%V|%H %h{%k:%v;} %%\\n")(rec) == b"3|2|2|1 h:x; %\n"
    assert compile_format("%d{go[2006-01-02T15:04:05Z07:00]}")(rec) == b"2023-11-14T22:13:20Z"
    assert (
        compile_format("%d{strftime[%Y]} %p{hex8} %o{big16} %v{base64}")(rec)
        == b"2023 01 \x00\x05 djE="
    )
    assert compile_format("json")(rec).decode().startswith('{\n  "topic": "foo",\n  "key": "k1"')
    bare = Record("a", 0, 0, None, None, 1)
    assert to_json(bare, pretty=False) == '{"topic":"a","timestamp":1,"partition":0,"offset":0}'
    with pytest.raises(UsageError):
        compile_format("%q")
    with pytest.raises(UsageError):
        compile_format("%p{hex7}")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=20), st.binary(max_size=20)), max_size=8))
def test_output_then_input_round_trip(pairs):
    """Length-prefixed %K%k%V%v written by consume's format reads back unchanged through produce's."""
    render = compile_format("%K %k %V %v\\n")
    data = b"".join(render(Record("t", 0, i, k, v, 0)) for i, (k, v) in enumerate(pairs))
    assert [(r.key, r.value) for r in _parse_all("%K %k %V %v\\n", data)] == pairs
