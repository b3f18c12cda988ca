"""Kafka's length-prefixed framing and the fixed part of a request header."""

from __future__ import annotations

import struct

SIZE = struct.Struct(">i")
REQUEST_PREFIX = struct.Struct(">hhi")  # api_key, api_version, correlation_id

# Largest request frame accepted; Redpanda's default kafka_request_max_bytes is 100 MiB.
MAX_FRAME_BYTES = 100 * 1024 * 1024


class FrameError(ValueError):
    """A frame that cannot be a Kafka request: the connection must be closed."""


def check_frame_size(size: int, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
    if size < REQUEST_PREFIX.size:
        raise FrameError(f"frame of {size} bytes is shorter than a request header")
    if size > max_frame_bytes:
        raise FrameError(f"frame of {size} bytes exceeds the {max_frame_bytes}-byte limit")


def peek_request(payload: bytes | memoryview) -> tuple[int, int, int]:
    """(api_key, api_version, correlation_id) of a request frame's payload."""
    return REQUEST_PREFIX.unpack_from(payload, 0)
