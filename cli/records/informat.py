"""Parsing produce's input `--format` from a byte stream into records.

Verbs: %t topic, %k key, %v value, %h{...} headers (%k/%v inside, repeated %H times),
%T/%K/%V/%H lengths and header count, %p partition. A text verb reads up to the literal that
follows it (or to EOF at the end), exactly N bytes after its length verb, or %v{N} bytes.
Numbers read ASCII digits, or {bigN|littleN|byte} binary. Text takes {hex|base64} decoding;
{json} reads one JSON value (its delimiter, if any, is then matched after it).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import BinaryIO

from cli.errors import UsageError
from cli.records.tokens import Literal, Token, Verb, tokenize

IN_VERBS = "tTkKvVhHp"
_LENGTH_OF = {"T": "t", "K": "k", "V": "v"}


@dataclass
class InRecord:
    topic: str | None = None
    key: bytes | None = None
    value: bytes | None = None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    partition: int | None = None


class ByteReader:
    """Incremental reads from a binary stream (pipes and terminals alike)."""

    def __init__(self, stream: BinaryIO, chunk: int = 65536) -> None:
        self._stream, self._chunk = stream, chunk
        self._buf = bytearray()
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        reader = getattr(self._stream, "read1", None) or self._stream.read
        data = reader(self._chunk)
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def at_eof(self) -> bool:
        return not self._buf and not self._fill()

    def read_until(self, delim: bytes) -> tuple[bytes, bool]:
        """Bytes up to `delim` (consumed, not returned); found=False means EOF came first."""
        start = 0
        while True:
            idx = self._buf.find(delim, start)
            if idx >= 0:
                data = bytes(self._buf[:idx])
                del self._buf[: idx + len(delim)]
                return data, True
            start = max(0, len(self._buf) - len(delim) + 1)
            if not self._fill():
                data = bytes(self._buf)
                self._buf.clear()
                return data, False

    def read_to_eof(self) -> bytes:
        while self._fill():
            pass
        data = bytes(self._buf)
        self._buf.clear()
        return data

    def read_json(self) -> bytes:
        """One JSON value (leading whitespace skipped), as `{json}` reads it."""
        decoder = json.JSONDecoder()
        while True:
            text = self._buf.decode("utf-8", "replace")
            start = len(text) - len(text.lstrip())
            try:
                _, end = decoder.raw_decode(text, start)
            except ValueError as exc:
                end, error = -1, exc
            if 0 <= end < len(text) or (end >= 0 and self._eof):
                data = text[start:end].encode()
                del self._buf[: len(text[:end].encode())]
                return data
            if not self._fill():
                if end >= 0:
                    continue
                raise UsageError(f"input is not valid json: {error}")

    def read_exact(self, n: int) -> bytes:
        while len(self._buf) < n:
            if not self._fill():
                raise UsageError(f"unexpected end of input: wanted {n} bytes, got {len(self._buf)}")
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data


class InputFormat:
    def __init__(self, fmt: str) -> None:
        self.tokens = tokenize(fmt, IN_VERBS)
        _validate(self.tokens, outer=True)

    def read(self, reader: ByteReader) -> InRecord | None:
        """The next record, or None at a clean end of input."""
        if reader.at_eof():
            return None
        rec, state = InRecord(), {}
        _run(self.tokens, reader, rec, state)
        return rec


def _validate(tokens: list[Token], outer: bool) -> None:
    seen = set()
    for i, tok in enumerate(tokens):
        if not isinstance(tok, Verb):
            continue
        if tok.char == "h" and "H" not in seen:
            raise UsageError("invalid format: %h needs %H (the header count) before it")
        if tok.char == "h" and tok.inner is not None:
            _validate(list(tok.inner), outer=False)
        text_verb = (
            tok.char in "tkv"
            and not (tok.modifier or "").isdigit()
            and _LENGTH_OF.get(tok.char.upper()) not in seen
            and tok.char.upper() not in seen
        )
        if text_verb and not outer and not isinstance(_next(tokens, i), Literal):
            raise UsageError(
                f"invalid format: %{tok.char} inside %h{{}} needs a delimiter after it"
            )
        seen.add(tok.char)


def _next(tokens, i):
    return tokens[i + 1] if i + 1 < len(tokens) else None


def _run(tokens, reader: ByteReader, rec: InRecord, state: dict) -> None:
    skip_literal = False
    for i, tok in enumerate(tokens):
        if isinstance(tok, Literal):
            if not skip_literal and reader.read_exact(len(tok.data)) != tok.data:
                raise UsageError(f"input does not match the format: expected {tok.data!r}")
            skip_literal = False
            continue
        nxt = _next(tokens, i)
        delim = nxt.data if isinstance(nxt, Literal) else None
        skip_literal = delim is not None and _reads_to_delim(tok, state)
        found = _apply(tok, reader, rec, state, delim)
        if not found and any(isinstance(t, Verb) for t in tokens[i + 1 :]):
            raise UsageError(
                f"input does not match the format: missing delimiter {delim!r} after %{tok.char}"
            )


def _reads_to_delim(tok: Verb, state: dict) -> bool:
    if tok.char in "tkv" and (tok.modifier or "").strip() == "json":
        return False  # the JSON value ends itself; its delimiter is then matched as a literal
    if tok.char in "tkv":
        return tok.char.upper() not in state and not (tok.modifier or "").isdigit()
    return tok.char in "TKVHp" and (tok.modifier or "ascii") == "ascii"


def _apply(tok: Verb, reader: ByteReader, rec: InRecord, state: dict, delim: bytes | None) -> bool:
    """Read one verb into `rec`; False when its delimiter was missing (end of input came first)."""
    c = tok.char
    if c in "TKVHp":
        state[c] = _read_number(tok, reader, delim)
        if c == "p":
            rec.partition = state[c]
        return True
    if c == "h":
        for _ in range(state.get("H", 0)):
            hdr, sub = InRecord(), {}
            _run(list(tok.inner or ()), reader, hdr, sub)
            rec.headers.append(((hdr.key or b"").decode("utf-8", "replace"), hdr.value or b""))
        return True
    raw, found = _read_text(tok, reader, state, delim)
    data = _decode(raw, tok.modifier)
    if c == "t":
        rec.topic = data.decode("utf-8", "replace")
    elif c == "k":
        rec.key = data
    else:
        rec.value = data
    return found


def _read_text(
    tok: Verb, reader: ByteReader, state: dict, delim: bytes | None
) -> tuple[bytes, bool]:
    length = state.get(tok.char.upper())
    if length is None and (tok.modifier or "").isdigit():
        length = int(tok.modifier)
    if length is not None:
        return reader.read_exact(length), True
    if (tok.modifier or "").strip() == "json":
        return reader.read_json(), True
    if delim is None:
        return reader.read_to_eof(), True
    return reader.read_until(delim)


def _read_number(tok: Verb, reader: ByteReader, delim: bytes | None) -> int:
    mod = (tok.modifier or "ascii").strip()
    if mod == "ascii":
        if delim is None:
            raise UsageError(f"invalid format: %{tok.char} needs a delimiter after it")
        raw, _ = reader.read_until(delim)
        try:
            return int(raw.strip())
        except ValueError:
            raise UsageError(
                f"input does not match the format: %{tok.char} wants a number, got {raw[:20]!r}"
            ) from None
    if mod == "byte":
        return reader.read_exact(1)[0]
    for prefix, order in (("big", "big"), ("little", "little")):
        if mod.startswith(prefix) and mod[len(prefix) :] in ("8", "16", "32", "64"):
            return int.from_bytes(reader.read_exact(int(mod[len(prefix) :]) // 8), order)
    raise UsageError(f"invalid number modifier {{{mod}}}")


def _decode(data: bytes, modifier: str | None) -> bytes:
    mod = (modifier or "").strip()
    try:
        if mod == "hex":
            return binascii.unhexlify(data.strip())
        if mod == "base64":
            return base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise UsageError(f"input is not valid {mod}: {data[:20]!r}") from None
    if mod and not mod.isdigit() and mod != "json":
        raise UsageError(f"invalid text modifier {{{mod}}}")
    return data
