"""Byte-level mutations of valid request payloads, for the decoder's hostile-input tests.

Positions of lengths and counts come from the broker's own schema walker
(core.protocol.guard.length_positions), so every string, bytes, array and tag section
of a request can be given a claim the frame cannot hold.
"""

from __future__ import annotations

import random
import struct

from core.protocol.guard import header_size, length_positions

HUGE_UVARINT = bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x0F])  # 2^32 - 1


def varint_len(payload: bytes, pos: int) -> int:
    n = 1
    while payload[pos + n - 1] & 0x80 and n < 5:
        n += 1
    return n


def with_claim(payload: bytes, pos: int, kind: str, value: int | None = None) -> bytes:
    """`payload` with the length or count at `pos` replaced (by a huge one by default)."""
    if kind == "i16len":
        raw = struct.pack(">h", 0x7FFF if value is None else value)
        return payload[:pos] + raw + payload[pos + 2 :]
    if kind in ("i32len", "i32count"):
        raw = struct.pack(">i", 0x7FFFFFFF if value is None else value)
        return payload[:pos] + raw + payload[pos + 4 :]
    raw = HUGE_UVARINT if value is None else _uvarint(value)
    return payload[:pos] + raw + payload[pos + varint_len(payload, pos) :]


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def huge_claims(payload: bytes, request_cls: type) -> list[tuple[str, bytes]]:
    """(field, mutated payload) for every length and count in `payload`, each made huge."""
    return [
        (f"{kind} {name}@{pos}", with_claim(payload, pos, kind))
        for pos, kind, name in length_positions(payload, request_cls)
    ]


def mutate(payload: bytes, request_cls: type, rng: random.Random) -> tuple[str, bytes]:
    """One random mutation of a valid payload: (description, mutated payload)."""
    choice = rng.randrange(7)
    if choice == 0 and len(payload) > 1:
        cut = rng.randrange(1, len(payload))
        return f"truncate to {cut}", payload[:cut]
    if choice == 1:
        out = bytearray(payload)
        flips = []
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(out))
            bit = 1 << rng.randrange(8)
            out[i] ^= bit
            flips.append((i, bit))
        return f"flip {flips}", bytes(out)
    if choice == 2:
        claims = length_positions(payload, request_cls)
        if claims:
            pos, kind, name = rng.choice(claims)
            value = rng.choice([None, -2, -1, 0, 1, 0x7FFF, 0x7FFFFFFF, 2**31 + 5])
            if kind == "i16len" and value is not None and not -(2**15) <= value < 2**15:
                value = None
            if kind.startswith("uvar") and value is not None and value < 0:
                value = None
            if kind.startswith("i32") and value is not None and value >= 2**31:
                value = -(2**31)
            return f"claim {kind} {name}@{pos}={value}", with_claim(payload, pos, kind, value)
    if choice == 3:
        version = rng.choice([0, 1, 3, 7, 12, 15, 0x7FFF])
        return f"header version {version}", payload[:2] + struct.pack(">h", version) + payload[4:]
    if choice == 4:
        start = header_size(payload, request_cls)
        junk = rng.randbytes(rng.randint(1, 16))
        i = rng.randint(start, len(payload))
        return f"insert {junk.hex()}@{i}", payload[:i] + junk + payload[i:]
    if choice == 5:
        i = rng.randrange(len(payload))
        j = min(len(payload), i + rng.randint(1, 8))
        return f"delete {i}:{j}", payload[:i] + payload[j:]
    return "random tail", payload[: rng.randint(8, len(payload))] + rng.randbytes(
        rng.randint(1, 64)
    )


def with_size_prefix(payload: bytes, size: int) -> bytes:
    """A frame whose 4-byte size prefix says `size` (possibly a lie)."""
    return struct.pack(">i", size) + payload


def tag_sections(payload: bytes, request_cls: type) -> list[int]:
    """Offsets of the tagged-field counts (header and every flexible struct) in `payload`."""
    return [p for p, _, name in length_positions(payload, request_cls) if name.endswith("<tags>")]


def add_tagged_field(payload: bytes, pos: int, tag: int, value: bytes) -> bytes:
    """`payload` with one more tagged field (tag, value) in the section counted at `pos`."""
    n = varint_len(payload, pos)
    count = 0
    for i, byte in enumerate(payload[pos : pos + n]):
        count |= (byte & 0x7F) << (7 * i)
    entry = _uvarint(tag) + _uvarint(len(value)) + value
    return payload[:pos] + _uvarint(count + 1) + entry + payload[pos + n :]
