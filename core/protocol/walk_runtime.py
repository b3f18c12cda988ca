"""Runtime helpers of the generated request walkers (core.protocol.walk_compile).

Out of line because they are rare or long: multi-byte varints, tagged-field sections
(known tags checked by their walker, unknown ones recorded as edits that drop them).
"""

from __future__ import annotations

import struct


class GuardError(ValueError):
    """A claimed length, count or tag that the frame cannot hold or the schema refuses."""


_I16 = struct.Struct(">h").unpack_from
_I32 = struct.Struct(">i").unpack_from


def _under(name: str, need: int, left: int) -> GuardError:
    return GuardError(f"{name}: needs {need} bytes, {max(left, 0)} left in the frame")


def _uvar(b: bytes, p: int, e: int, name: str) -> tuple[int, int]:
    """An unsigned varint of at most 5 bytes and 32 bits starting at b[p]."""
    value = 0
    for i in range(5):
        if p >= e:
            raise _under(name, 1, 0)
        byte = b[p]
        p += 1
        if i == 4 and byte > 0x0F:
            raise GuardError(f"{name}: unsigned varint exceeds 32 bits")
        value |= (byte & 0x7F) << (7 * i)
        if byte < 0x80:
            return value, p
    raise GuardError(f"{name}: unsigned varint longer than 5 bytes")  # pragma: no cover


def uvarint_bytes(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _tags(b: bytes, p: int, e: int, ed: list, tr, known: dict, name: str) -> int:
    """A tagged-field section: known tags checked by their walker, unknown ones dropped."""
    start = p
    if tr is not None:
        tr.append((p, "uvarcount", name + ".<tags>"))
    count, p = _uvar(b, p, e, name + ".<tag count>")
    if count * 2 > e - p:
        raise _under(f"{name}: {count} tagged fields", count * 2, e - p)
    count_end = p
    dropped = 0
    for _ in range(count):
        tag_start = p
        tag, p = _uvar(b, p, e, name + ".<tag>")
        size_start = p
        if tr is not None:
            tr.append((p, "uvarlen", f"{name}.<tag {tag} size>"))
        size, p = _uvar(b, p, e, name + ".<tag size>")
        if size > e - p:
            raise _under(f"{name}.<tag {tag}>", size, e - p)
        value_end = p + size
        field = known.get(tag)
        if field is None:
            ed.append((tag_start, value_end, b""))
            dropped += 1
        else:
            mark = len(ed)
            q = field[1](b, p, value_end, ed, tr)
            if q != value_end:
                raise GuardError(f"{name}.{field[0]}: tagged value has {value_end - q} extra bytes")
            if len(ed) > mark:  # unknown tags inside: the value's size changes
                delta = sum(len(r) - (z - a) for a, z, r in ed[mark:])
                ed.append((size_start, p, uvarint_bytes(size + delta)))
        p = value_end
    if dropped:
        ed.append((start, count_end, uvarint_bytes(count - dropped)))
    return p


# Decoded Python objects take about 14x the bytes of small elements on the wire (a 6 MB
# Produce of 1,000,000 null partitions became 85 MiB of tuples), and answering costs about
# 15 us of event-loop time per element (a WriteTxnMarkers naming 240,000 partitions held
# the loop 3.6 s, past 10 s on a loaded host), so besides fitting in the frame, one request
# may hold at most this many array elements in all (Kafka's largest ordinary requests, an
# OffsetCommit or Fetch over every partition a broker leads, stay below).
MAX_ELEMENTS_PER_REQUEST = 100_000
ELEMENTS_LEFT = [MAX_ELEMENTS_PER_REQUEST]  # reset per request; the walkers run on one thread


def _too_many(name: str, count: int) -> GuardError:
    return GuardError(
        f"{name} ({count} elements): more than {MAX_ELEMENTS_PER_REQUEST} array elements"
        " in one request"
    )


RUNTIME = {
    "_I16": _I16,
    "_I32": _I32,
    "_under": _under,
    "_uvar": _uvar,
    "_tags": _tags,
    "_left": ELEMENTS_LEFT,
    "_too_many": _too_many,
}
