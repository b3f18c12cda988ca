"""Records responses written as JSON text (UTF-8 bytes), record by record, without decoding and encoding
again what is JSON already.

A json-format record's key and value are spliced in as they are once they are known to be
JSON: a plain string (quotes around printable ASCII with nothing to escape) at C speed, other
UTF-8 text by json.loads alone; anything else goes through json.loads and json.dumps as
before, so the records accepted are exactly those json.loads accepts (40801 otherwise).
Binary keys and values are base64, which never needs escaping. The schema formats decode to
objects and are encoded with json.dumps."""

from __future__ import annotations

import binascii
import codecs
import json
from typing import Any

from core.proxy.codecs import Codec
from core.proxy.errors import SERIALIZATION, ProxyError
from core.proxy.formats import BINARY, SCHEMA_FORMATS, render_record

RECORD = b'{"topic":%b,"key":%b,"value":%b,"partition":%d,"offset":%d}'
# printable ASCII but the quote and the backslash: a string of these is JSON as it stands
_PLAIN = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')
_QUOTES = b'""'


def _binary_text(data: bytes | None) -> bytes:
    if data is None:
        return b"null"
    return b'"' + binascii.b2a_base64(data, newline=False) + b'"'


def _json_text(data: bytes | None, rec: Any) -> bytes:
    if data is None:
        return b"null"
    if data[:1] == b'"' and data[-1:] == b'"' and data.translate(None, _PLAIN) == _QUOTES:
        return data  # a JSON string with nothing escaped: its only quotes are its ends
    if not data.startswith(codecs.BOM_UTF8):
        try:
            json.loads(data.decode())
            return data
        except (UnicodeDecodeError, ValueError):
            pass
    try:  # other encodings json.loads detects (UTF-16/32, a BOM), or not JSON at all
        return json.dumps(json.loads(data)).encode()
    except (UnicodeDecodeError, ValueError):
        raise ProxyError(
            SERIALIZATION,
            f"record {rec.topic}/{rec.partition}@{rec.offset} is not JSON; "
            "read it with the binary format",
        ) from None


class RecordWriter:
    """`text(rec)`: one records-response entry as JSON text (UTF-8 bytes), in `fmt`."""

    def __init__(self, fmt: str, codecs_by_id: dict[int, Codec] | None = None) -> None:
        self._fmt = fmt
        self._codecs = codecs_by_id
        self._topics: dict[str, bytes] = {}

    def text(self, rec: Any) -> bytes:
        fmt = self._fmt
        if fmt in SCHEMA_FORMATS:
            return json.dumps(render_record(fmt, rec, self._codecs)).encode()
        topic = self._topics.get(rec.topic)
        if topic is None:
            topic = self._topics[rec.topic] = json.dumps(rec.topic).encode()
        if fmt == BINARY:
            key, value = _binary_text(rec.key), _binary_text(rec.value)
        else:
            key, value = _json_text(rec.key, rec), _json_text(rec.value, rec)
        return RECORD % (topic, key, value, rec.partition, rec.offset)


def array_text(parts: list[bytes]) -> bytes:
    """`[part,part,...]` with one copy of the parts (a response can be megabytes)."""
    if not parts:
        return b"[]"
    parts[0] = b"[" + parts[0]
    parts[-1] = parts[-1] + b"]"
    return b",".join(parts)
