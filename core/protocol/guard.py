"""Check a request frame against its schema before kio's native reader sees it.

kio's reader reserves memory for every element an array claims before reading any,
so a 23-byte request claiming 2^32 elements aborts the process; and it refuses tagged
fields it does not know, which KIP-482 says must be skipped. `check_request` walks the
header and the body of (api_key, api_version) with a walker compiled from the schema
(core.protocol.walk_compile): every length and count must fit in the bytes left, and
unknown tagged fields are cut out of the payload (the rare path: a copy without them).
It walks structure only: record bytes are skipped, never parsed.
"""

from __future__ import annotations

from functools import cache

from core.protocol.walk_compile import GuardError, compile_walker
from core.protocol.walk_layout import header_schema
from core.protocol.walk_runtime import ELEMENTS_LEFT, MAX_ELEMENTS_PER_REQUEST

__all__ = ["MAX_ELEMENTS_PER_REQUEST", "GuardError", "check_request", "length_positions"]


def check_request(payload: bytes, request_cls: type) -> bytes:
    """`payload` (header and body) if it is sound, or a copy without unknown tagged fields.

    Raises GuardError naming the field whose claim the frame cannot hold.
    """
    header_walk, body_walk = _walkers(request_cls)
    end = len(payload)
    edits: list[tuple[int, int, bytes]] = []
    ELEMENTS_LEFT[0] = MAX_ELEMENTS_PER_REQUEST
    pos = header_walk(payload, 0, end, edits, None)
    pos = body_walk(payload, pos, end, edits, None)
    if pos != end:
        raise GuardError(f"{request_cls.__name__}: {end - pos} trailing bytes")
    if edits:
        return apply_edits(payload, edits)
    return payload


@cache
def _walkers(request_cls: type):
    return compile_walker(header_schema(request_cls)), compile_walker(request_cls)


def apply_edits(payload: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray()
    pos = 0
    for start, end, replacement in sorted(edits, key=lambda x: x[0]):
        out += payload[pos:start]
        out += replacement
        pos = end
    out += payload[pos:]
    return bytes(out)


def header_size(payload: bytes, request_cls: type) -> int:
    """Bytes taken by the request header at the start of `payload`."""
    header_walk, _ = _walkers(request_cls)
    ELEMENTS_LEFT[0] = MAX_ELEMENTS_PER_REQUEST
    return header_walk(payload, 0, len(payload), [], None)


def length_positions(payload: bytes, request_cls: type) -> list[tuple[int, str, str]]:
    """(offset, kind, field) of every length and count a sound `payload` holds, in order.

    kind: i16len / i32len (legacy string / bytes), uvarlen (compact string, bytes or
    tagged value size), i32count / uvarcount (legacy / compact array, tag count).
    """
    trace: list[tuple[int, str, str]] = []
    end = len(payload)
    ELEMENTS_LEFT[0] = 2**62  # a map of the frame's claims, not a gate: no element cap
    pos = compile_walker(header_schema(request_cls), True)(payload, 0, end, [], trace)
    compile_walker(request_cls, True)(payload, pos, end, [], trace)
    return trace
