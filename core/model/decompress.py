"""Decompress a batch's records with a hard ceiling on the output size.

Used by produce validation when a check needs the records of a compressed batch (a
compacted topic's key check). A small hostile payload must not expand without bound,
so the output goes into an anonymous mapping of `max_bytes`: pages are only backed by
memory once written, and a payload that would expand past the mapping is refused.
"""

from __future__ import annotations

import mmap
import struct

from core.model.batch import BatchError
from core.model.lazy import LazyModule

cramjam = LazyModule("cramjam")  # loaded at the first compressed batch

_XERIAL_MAGIC = b"\x82SNAPPY\x00"
_XERIAL_HEADER_BYTES = len(_XERIAL_MAGIC) + 8
_INT32 = struct.Struct(">i")
_CODECS = {1: "gzip", 3: "lz4", 4: "zstd"}  # cramjam's module for each codec
_SNAPPY = 2


class DecompressError(BatchError):
    """The payload does not decompress, or would decompress past the ceiling."""


def decompress_bounded(payload: bytes | memoryview, codec: int, max_bytes: int) -> memoryview:
    """The decompressed bytes of `payload` (at most `max_bytes`), as a read-only view."""
    out = mmap.mmap(-1, max(max_bytes, 1))
    try:
        if codec == _SNAPPY:
            written = _snappy_into(bytes(payload), out, max_bytes)
        elif codec in _CODECS:
            written = getattr(cramjam, _CODECS[codec]).decompress_into(bytes(payload), out)
        else:
            raise DecompressError(f"unknown compression codec {codec}")
    except cramjam.DecompressionError as error:
        raise DecompressError(
            f"cannot decompress batch records (or they exceed {max_bytes} bytes): {error}"
        ) from None
    return memoryview(out)[:written].toreadonly()


def _raw_snappy_length(block: bytes) -> int:
    """The uncompressed length a raw snappy block declares in its varint preamble."""
    value = 0
    for index in range(min(len(block), 5)):
        value |= (block[index] & 0x7F) << (7 * index)
        if block[index] < 0x80:
            return value
    raise DecompressError("bad snappy length preamble")


def _snappy_into(data: bytes, out: mmap.mmap, max_bytes: int) -> int:
    """Raw snappy (librdkafka) or xerial-framed snappy (the Java client)."""
    if not data.startswith(_XERIAL_MAGIC):
        if _raw_snappy_length(data) > max_bytes:
            raise DecompressError(f"snappy payload declares more than {max_bytes} bytes")
        return cramjam.snappy.decompress_raw_into(data, out)
    view = memoryview(out)
    written = 0
    pos = _XERIAL_HEADER_BYTES
    while pos < len(data):  # bounded: pos grows by at least 4 per block
        if pos + 4 > len(data):
            raise DecompressError("truncated xerial snappy block length")
        (block_bytes,) = _INT32.unpack_from(data, pos)
        if block_bytes < 0 or pos + 4 + block_bytes > len(data):
            raise DecompressError("bad xerial snappy block length")
        block = data[pos + 4 : pos + 4 + block_bytes]
        if written + _raw_snappy_length(block) > max_bytes:
            raise DecompressError(f"snappy payload declares more than {max_bytes} bytes")
        written += cramjam.snappy.decompress_raw_into(block, view[written:])
        pos += 4 + block_bytes
    return written
