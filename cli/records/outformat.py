"""Rendering records with consume's `--format` (and produce's `--output-format`).

Verbs: %t topic, %T topic length, %k/%v key/value, %K/%V their lengths, %h{...} each header
(%k/%v inside), %H header count, %p partition, %o offset, %e leader epoch, %d timestamp (ms;
%d{strftime[...]} or %d{go[...]}), %x/%y producer id/epoch, %a{compression|timestamp-type|
transactional-bit|control-bit}, %i record index. Numbers take {ascii|hexN|bigN|littleN|byte|bool};
text takes {hex|base64}. `json` renders rpk's JSON record shape.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cli.errors import UsageError
from cli.records.tokens import Literal, Verb, tokenize

OUT_VERBS = "tTkKvVhHpoedxyai"
COMPRESSION = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)
    timestamp_type: int = 0
    leader_epoch: int = -1
    producer_id: int = -1
    producer_epoch: int = -1
    attrs: int = 0
    index: int = 0


def _text(data: bytes | None) -> str:
    return "" if data is None else data.decode("utf-8", errors="replace")


def to_json(rec: Record, pretty: bool = True, meta_only: bool = False) -> str:
    """rpk's JSON record: key omitted when empty, value when null, headers when none.

    With meta_only the value is left out and its length is printed as value_size.
    """
    doc: dict = {"topic": rec.topic}
    if rec.key:
        doc["key"] = _text(rec.key)
    if meta_only:
        doc["value_size"] = len(rec.value or b"")
    elif rec.value is not None:
        doc["value"] = _text(rec.value)
    if rec.headers:
        doc["headers"] = [{"key": k, "value": _text(v)} for k, v in rec.headers]
    doc.update(timestamp=rec.timestamp, partition=rec.partition, offset=rec.offset)
    if pretty:
        return json.dumps(doc, indent=2, ensure_ascii=False)
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def number(value: int, modifier: str | None) -> bytes:
    mod = (modifier or "ascii").strip()
    if mod == "ascii":
        return str(value).encode()
    if mod == "bool":
        return b"true" if value else b"false"
    if mod == "byte":
        return bytes([value & 0xFF])
    for prefix in ("hex", "big", "little"):
        if mod.startswith(prefix) and mod[len(prefix) :].isdigit():
            bits = int(mod[len(prefix) :])
            if prefix == "hex" and bits in (4, 8, 16, 32, 64):
                return format(value & ((1 << bits) - 1), f"0{bits // 4}x").encode()
            if prefix != "hex" and bits in (8, 16, 32, 64):
                order = "big" if prefix == "big" else "little"
                return (value & ((1 << bits) - 1)).to_bytes(bits // 8, order)
    raise UsageError(f"invalid number modifier {{{mod}}}")


def text(data: bytes | None, modifier: str | None) -> bytes:
    raw = data or b""
    mod = (modifier or "").strip()
    if not mod:
        return raw
    if mod == "hex":
        return raw.hex().encode()
    if mod == "base64":
        return base64.b64encode(raw)
    raise UsageError(f"invalid text modifier {{{mod}}}")


_GO_LAYOUT = [
    ("2006", "%Y"),
    ("Z07:00", "Z"),
    ("-07:00", "+00:00"),
    ("-0700", "+0000"),
    ("January", "%B"),
    ("Monday", "%A"),
    ("Jan", "%b"),
    ("Mon", "%a"),
    ("MST", "UTC"),
    ("01", "%m"),
    ("02", "%d"),
    ("15", "%H"),
    ("03", "%I"),
    ("04", "%M"),
    ("05", "%S"),
    ("PM", "%p"),
    (".000000", ".%f"),
    ("06", "%y"),
]


def go_to_strftime(layout: str) -> str:
    out, i = [], 0
    while i < len(layout):
        for go, py in _GO_LAYOUT:
            if layout.startswith(go, i):
                out.append(py)
                i += len(go)
                break
        else:
            out.append(layout[i].replace("%", "%%"))
            i += 1
    return "".join(out)


def timestamp(ms: int, modifier: str | None) -> bytes:
    mod = (modifier or "").strip()
    for prefix, convert in (("strftime[", lambda s: s), ("go[", go_to_strftime)):
        if mod.startswith(prefix) and mod.endswith("]"):
            when = datetime.fromtimestamp(ms / 1000, tz=UTC)
            return when.strftime(convert(mod[len(prefix) : -1])).encode()
    return number(ms, modifier or None)


def attribute(rec: Record, modifier: str | None) -> bytes:
    name = (modifier or "").strip()
    if name == "compression":
        return COMPRESSION.get(rec.attrs & 0x07, "unknown").encode()
    if name == "timestamp-type":
        return str(rec.timestamp_type).encode()
    if name == "transactional-bit":
        return b"1" if rec.attrs & 0x10 else b"0"
    if name == "control-bit":
        return b"1" if rec.attrs & 0x20 else b"0"
    raise UsageError(
        f"invalid %a modifier {{{name}}}: use compression, timestamp-type, "
        "transactional-bit or control-bit"
    )


_NUMBERS: dict[str, Callable[[Record], int]] = {
    "T": lambda r: len(r.topic.encode()),
    "K": lambda r: len(r.key or b""),
    "V": lambda r: len(r.value or b""),
    "H": lambda r: len(r.headers),
    "p": lambda r: r.partition,
    "o": lambda r: r.offset,
    "e": lambda r: r.leader_epoch,
    "x": lambda r: r.producer_id,
    "y": lambda r: r.producer_epoch,
    "i": lambda r: r.index,
}


def _render_verb(verb: Verb, rec: Record) -> bytes:
    c = verb.char
    if c == "t":
        return text(rec.topic.encode(), verb.modifier)
    if c == "k":
        return text(rec.key, verb.modifier)
    if c == "v":
        return text(rec.value, verb.modifier)
    if c == "d":
        return timestamp(rec.timestamp, verb.modifier)
    if c == "a":
        return attribute(rec, verb.modifier)
    if c == "h":
        return _headers(verb, rec)
    return number(_NUMBERS[c](rec), verb.modifier)


def _headers(verb: Verb, rec: Record) -> bytes:
    inner = verb.inner or (Verb("k"), Literal(b"="), Verb("v"), Literal(b" "))
    out = bytearray()
    for key, value in rec.headers:
        hdr = Record(rec.topic, rec.partition, rec.offset, key.encode(), value, rec.timestamp)
        out += b"".join(t.data if isinstance(t, Literal) else _render_verb(t, hdr) for t in inner)
    return bytes(out)


def compile_format(
    fmt: str, pretty: bool = True, meta_only: bool = False
) -> Callable[[Record], bytes]:
    """A renderer for `fmt`; `json` is rpk's JSON record followed by a newline."""
    if fmt == "json":
        return lambda rec: (to_json(rec, pretty, meta_only) + "\n").encode()
    tokens = tokenize(fmt, OUT_VERBS)
    for tok in tokens:  # validate modifiers once, against a sample record
        if isinstance(tok, Verb):
            _render_verb(tok, Record("t", 0, 0, b"", b"", 0))
    return lambda rec: b"".join(
        t.data if isinstance(t, Literal) else _render_verb(t, rec) for t in tokens
    )
