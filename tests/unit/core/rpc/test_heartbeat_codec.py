"""The heartbeat batch wire form (core.rpc.heartbeat)."""

from __future__ import annotations

import pytest

from core.rpc.frame import FrameError
from core.rpc.heartbeat import (
    STATUS_NO_GROUP,
    STATUS_OK,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)


def test_request_and_response_round_trip() -> None:
    items = [(g, bytes([g % 256]) * (g % 40)) for g in range(1_000)]
    assert decode_request(encode_request(3, items)) == (3, items)
    answers = [(g, STATUS_OK if g % 3 else STATUS_NO_GROUP, p) for g, p in items]
    assert decode_response(encode_response(answers)) == answers


def test_one_thousand_groups_stay_compact() -> None:
    items = [(g, b"\0" * 40) for g in range(1_000)]
    assert len(encode_request(3, items)) == 8 + 1_000 * (10 + 40)


@pytest.mark.parametrize("mutate", [lambda b: b[:-1], lambda b: b + b"\0", lambda b: b[:5]])
def test_malformed_batches_are_frame_errors(mutate) -> None:
    raw = encode_request(3, [(1, b"abc"), (2, b"de")])
    with pytest.raises(FrameError):
        decode_request(mutate(raw))
    with pytest.raises(FrameError):
        decode_response(mutate(encode_response([(1, 0, b"abc")])))
