"""The RPC frame header (core.rpc.frame) and the client's reconnect backoff."""

from __future__ import annotations

import random

import pytest

from core.rpc.client import ClientConfig, backoff_ms
from core.rpc.frame import (
    FLAG_RESPONSE,
    HEADER_SIZE,
    FrameError,
    Status,
    blob_length,
    blob_parts,
    decode_header,
    encode_header,
)

MAX = 1024 * 1024


def test_header_round_trip() -> None:
    raw = encode_header(7, 0xFFFF_FFFF, 12, 70_000, flags=FLAG_RESPONSE, status=Status.timeout)
    assert len(raw) == HEADER_SIZE == 24
    h = decode_header(b"xx" + raw, 2, MAX)
    assert (h.method, h.correlation, h.meta_len, h.blob_len) == (7, 0xFFFF_FFFF, 12, 70_000)
    assert h.is_response and h.status == Status.timeout and h.body_len == 70_012


@pytest.mark.parametrize("byte", range(HEADER_SIZE))
def test_any_flipped_header_byte_is_refused(byte: int) -> None:
    raw = bytearray(encode_header(1, 5, 3, 4))
    raw[byte] ^= 0x40
    with pytest.raises(FrameError):
        decode_header(raw, 0, MAX)


def test_oversized_frames_are_refused() -> None:
    decode_header(encode_header(1, 1, 24, MAX - 24), 0, MAX)
    with pytest.raises(FrameError, match="over"):
        decode_header(encode_header(1, 1, 24, MAX - 23), 0, MAX)


def test_blob_parts_and_length() -> None:
    assert blob_length(b"") == 0 and blob_parts(b"") == ()
    parts = [b"ab", bytearray(b""), memoryview(b"cde")]
    assert blob_length(parts) == 5
    assert [bytes(p) for p in blob_parts(parts)] == [b"ab", b"cde"]


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling() -> None:
    config = ClientConfig(backoff_min_ms=50, backoff_max_ms=2_000)
    rng = random.Random(1)
    for failures, ceiling in [(1, 50), (2, 100), (3, 200), (6, 1_600), (7, 2_000), (60, 2_000)]:
        draws = [backoff_ms(failures, config, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in draws)
        assert max(draws) - min(draws) > ceiling / 4  # jittered, not fixed
