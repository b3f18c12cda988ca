"""Tokenizing rpk's %-format strings (shared by produce's input and consume's output formats)."""

from __future__ import annotations

from dataclasses import dataclass

from cli.errors import UsageError

_ESCAPES = {"n": b"\n", "t": b"\t", "r": b"\r", "\\": b"\\", "0": b"\0"}


@dataclass(frozen=True)
class Literal:
    data: bytes


@dataclass(frozen=True)
class Verb:
    char: str
    modifier: str | None = None
    inner: tuple | None = None  # the per-header format of %h{...}


Token = Literal | Verb


def tokenize(fmt: str, verbs: str, nested: bool = False) -> list[Token]:
    """Split `fmt` into literals (escapes resolved) and verbs among `verbs`."""
    out: list[Token] = []
    buf = bytearray()
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "\\" and i + 1 < len(fmt):
            i = _escape(fmt, i, buf)
            continue
        if ch != "%":
            buf += ch.encode()
            i += 1
            continue
        if i + 1 >= len(fmt):
            raise UsageError(f"invalid format {fmt!r}: trailing %")
        nxt = fmt[i + 1]
        if nxt in "%{}":
            buf += nxt.encode()
            i += 2
            continue
        if nxt not in verbs:
            raise UsageError(f"invalid format {fmt!r}: unknown verb %{nxt}")
        if buf:
            out.append(Literal(bytes(buf)))
            buf.clear()
        verb, i = _verb(fmt, i + 1, verbs, nested)
        out.append(verb)
    if buf:
        out.append(Literal(bytes(buf)))
    return out


def _escape(fmt: str, i: int, buf: bytearray) -> int:
    nxt = fmt[i + 1]
    if nxt in _ESCAPES:
        buf += _ESCAPES[nxt]
        return i + 2
    if nxt == "x":
        digits = fmt[i + 2 : i + 4]
        try:
            buf.append(int(digits, 16))
        except ValueError:
            raise UsageError(f"invalid format {fmt!r}: bad \\x escape") from None
        return i + 4
    buf += b"\\"
    return i + 1


def _verb(fmt: str, i: int, verbs: str, nested: bool) -> tuple[Verb, int]:
    char = fmt[i]
    i += 1
    if i < len(fmt) and fmt[i] == "{":
        end = _matching_brace(fmt, i)
        body = fmt[i + 1 : end]
        if char == "h" and not nested:
            return Verb(char, None, tuple(tokenize(body, "kvKV", nested=True))), end + 1
        return Verb(char, body), end + 1
    return Verb(char), i


def _matching_brace(fmt: str, start: int) -> int:
    depth = 0
    for j in range(start, len(fmt)):
        if fmt[j] == "{" and fmt[j - 1] != "%":
            depth += 1
        elif fmt[j] == "}" and fmt[j - 1] != "%":
            depth -= 1
            if depth == 0:
                return j
    raise UsageError(f"invalid format {fmt!r}: unclosed {{")
