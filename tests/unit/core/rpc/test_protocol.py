"""FrameProtocol's reader without sockets: frames of every size, fed in chunks cut at random
places, come out whole and in order; large blobs arrive as views of their own buffer; a
held protocol delivers nothing until released; a bad header aborts once."""

from __future__ import annotations

import asyncio
import random

import pytest

from core.rpc.frame import encode_header
from core.rpc.protocol import RECV_BUFFER_BYTES, FrameProtocol


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.aborted = 0
        self.paused = False
        self.written: list[bytes] = []

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 1) if name == "peername" else default

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def abort(self) -> None:
        self.aborted += 1

    def is_closing(self) -> bool:
        return self.aborted > 0

    def write(self, data) -> None:
        self.written.append(bytes(data))


class _Collect(FrameProtocol):
    def __init__(self) -> None:
        super().__init__(max_frame_bytes=8 << 20)
        self.frames: list[tuple[int, bytes, object]] = []
        self.connection_made(_Transport())

    def frame_received(self, header, meta, blob) -> None:
        self.frames.append((header.correlation, meta, blob))


def _frame(corr: int, meta: bytes, blob: bytes) -> bytes:
    return encode_header(9, corr, len(meta), len(blob)) + meta + blob


def _feed(p: FrameProtocol, data: bytes, rng: random.Random, max_chunk: int) -> None:
    pos = 0
    while pos < len(data):
        view = p.get_buffer(-1)
        assert len(view) > 0
        n = min(len(view), len(data) - pos, rng.randint(1, max_chunk))
        view[:n] = data[pos : pos + n]
        p.buffer_updated(n)
        pos += n


@pytest.mark.parametrize("seed", range(12))
def test_random_chunking_keeps_frames_whole(seed: int) -> None:
    rng = random.Random(seed)
    max_chunk = [7, 1000, 70_000, 1 << 20][seed % 4]
    sizes = [0, 1, 23, 24, 100, RECV_BUFFER_BYTES - 24, RECV_BUFFER_BYTES, 300_000]
    if max_chunk < 100:
        sizes = sizes[:5]
    expected = []
    for corr in range(1, 60):
        meta = rng.randbytes(rng.choice([0, 3, 40]))
        expected.append((corr, meta, rng.randbytes(rng.choice(sizes))))
    stream = b"".join(_frame(*f) for f in expected)
    p = _Collect()
    _feed(p, stream, rng, max_chunk)
    assert [(c, m, bytes(b)) for c, m, b in p.frames] == expected
    assert p.transport.aborted == 0


def test_a_large_blob_is_a_view_of_its_own_buffer() -> None:
    p = _Collect()
    _feed(p, _frame(1, b"m", b"z" * (RECV_BUFFER_BYTES + 1)), random.Random(1), 1 << 20)
    (_, meta, blob) = p.frames[0]
    assert meta == b"m" and isinstance(blob, memoryview) and blob.obj is not p._buf


def test_hold_delays_buffered_frames_until_release() -> None:
    p = _Collect()
    p.hold()
    _feed(p, b"".join(_frame(i, b"", b"") for i in range(5)), random.Random(1), 1 << 20)
    assert p.frames == [] and p.transport.paused
    p.release()
    assert [f[0] for f in p.frames] == [0, 1, 2, 3, 4] and not p.transport.paused


def test_garbage_aborts_once_and_stops_parsing() -> None:
    p = _Collect()
    _feed(p, _frame(1, b"", b"") + b"\0" * 100 + _frame(2, b"", b""), random.Random(1), 1 << 20)
    assert [f[0] for f in p.frames] == [1] and p.transport.aborted == 1
