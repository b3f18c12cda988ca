"""Hypothesis strategies for kio request entities, built from the schemas themselves.

Values lean to the edges: the extreme integers, 0 and -1, empty and long strings,
nulls where the field is nullable, empty and longer arrays. Every value is one kio's
writer can encode, so the frames are well formed; hostile bytes come from mutating
them (tests/support/frame_mutations.py).
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import struct
from functools import cache

from hypothesis import strategies as st
from kio.schema.errors import ErrorCode
from kio.serial import entity_writer
from kio.serial._introspect import get_field_tag, get_schema_field_type, is_optional
from kio.serial.readers import tz_aware_from_i64

INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint8": (0, 2**8 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
}
MAX_ARRAY = 6


def edge_ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    edges = [x for x in (lo, hi, 0, 1, -1, lo + 1, hi - 1) if lo <= x <= hi]
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi))


def _texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.text(max_size=12),
        st.text("abc.-_", min_size=1, max_size=8),
        st.text("x", min_size=250, max_size=300),
        st.just("h" * 20_000),  # huge (a classic string holds at most 32767 bytes)
    )


def _binaries() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.just(b""),
        st.binary(max_size=80),
        st.binary(min_size=300, max_size=400),
        st.just(b"\x00" * 100_000),
    )


def _arrays(elem: st.SearchStrategy, most: int) -> st.SearchStrategy[tuple]:
    """Short arrays, and now and then a long one (one value repeated, cheap to draw)."""
    huge = elem.flatmap(lambda v: st.integers(most // 10, most).map(lambda n: (v,) * n))
    return st.one_of(st.lists(elem, max_size=MAX_ARRAY).map(tuple), huge)


def _primitive(kafka_type: str) -> st.SearchStrategy:
    if kafka_type in INT_RANGES:
        return edge_ints(*INT_RANGES[kafka_type])
    if kafka_type == "string":
        return _texts()
    if kafka_type in ("bytes", "records"):
        return _binaries()
    if kafka_type == "bool":
        return st.booleans()
    if kafka_type == "uuid":
        return st.uuids()
    if kafka_type == "float64":
        return st.floats(allow_nan=False)
    if kafka_type == "error_code":
        return st.sampled_from(list(ErrorCode))
    if kafka_type == "timedelta_i32":
        return edge_ints(0, 2**31 - 1).map(lambda ms: datetime.timedelta(milliseconds=ms))
    if kafka_type == "timedelta_i64":
        return edge_ints(0, 2**40).map(lambda ms: datetime.timedelta(milliseconds=ms))
    if kafka_type == "datetime_i64":
        return edge_ints(0, 2**42).map(tz_aware_from_i64)
    raise TypeError(kafka_type)


def _is_tuple(tp) -> bool:
    return getattr(tp, "__origin__", None) is tuple


def _inner(tp):
    args = [a for a in getattr(tp, "__args__", ()) if a is not type(None)]
    return args[0] if args and getattr(tp, "__origin__", None) is not tuple else tp


@cache
def entity_strategy(cls: type) -> st.SearchStrategy:
    """Entities of `cls` with every field drawn from the edges of its type."""
    import typing

    hints = typing.get_type_hints(cls)
    fields = {}
    for field in dataclasses.fields(cls):
        tp = _inner(hints[field.name])
        if _is_tuple(tp):
            elem_tp = tp.__args__[0]
            if dataclasses.is_dataclass(elem_tp):  # nested: long arrays multiply
                strat = _arrays(st.deferred(lambda e=elem_tp: entity_strategy(e)), 100)
            else:
                strat = _arrays(_primitive(get_schema_field_type(field)), 3000)
        elif dataclasses.is_dataclass(tp):
            strat = st.deferred(lambda t=tp: entity_strategy(t))
        else:
            strat = _primitive(get_schema_field_type(field))
        tagged = get_field_tag(field) is not None
        if is_optional(field) and not tagged:
            strat = st.one_of(st.none(), strat)
        if tagged and field.default is not dataclasses.MISSING:
            strat = st.one_of(st.just(field.default), strat)
        fields[field.name] = strat
    return st.builds(cls, **fields)


def request_bytes(body, correlation_id: int, client_id: str | None = "fuzz") -> bytes:
    """Header and body of a request entity, as a frame's payload (no size prefix)."""
    header_cls = body.__header_schema__
    header = header_cls(
        request_api_key=body.__api_key__,
        request_api_version=body.__version__,
        correlation_id=correlation_id,
        client_id=client_id,
    )
    buf = io.BytesIO()
    entity_writer(header_cls)(buf, header)
    entity_writer(type(body))(buf, body)
    return buf.getvalue()


def frame(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload
