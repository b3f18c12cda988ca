"""Method.raft_batch frames (core.rpc.raft_batch): many groups' messages and light
heartbeats round-trip; entries travel as blob parts (not joined) and come back as views
of the received blob; malformed frames are FrameErrors."""

from __future__ import annotations

import pytest

from core.raft.types import AppendReply, AppendRequest, Entry, VoteRequest
from core.rpc.frame import FrameError
from core.rpc.raft_batch import decode_batch, encode_batch

PAYLOADS = [bytes([i]) * (100 + i) for i in range(3)]
MESSAGES = [
    (7, AppendRequest(1, 2, 4, (10, 3), (Entry(4, 10, 10, PAYLOADS[0]),), 9, 9, 5)),
    (8, VoteRequest(1, 2, 6, (0, -1), prevote=True)),
    (2**40, AppendRequest(1, 2, 4, (0, -1), (Entry(4, 0, 2, PAYLOADS[1]),
                                             Entry(5, 3, 2, (1, 2, 3)),
                                             Entry(5, 3, 3, PAYLOADS[2])), 0, 0, 1)),
    (9, AppendReply(1, 2, 4, True, (11, 4), 11, 11, 5)),
]  # fmt: skip


def test_a_batch_round_trips_with_entries_as_blob_parts() -> None:
    meta, blob = encode_batch(1, MESSAGES, light=[7, 4, 11, 2], acks=[5, 9], nacks=[12, 13])
    assert blob == PAYLOADS and all(a is b for a, b in zip(blob, PAYLOADS, strict=True))
    received = bytearray(b"".join(blob))
    batch = decode_batch(meta, memoryview(received))
    assert batch.src == 1 and batch.messages == MESSAGES
    assert batch.light == (7, 4, 11, 2) and batch.acks == (5, 9) and batch.nacks == (12, 13)
    entry = batch.messages[0][1].entries[0]  # type: ignore[union-attr]
    assert isinstance(entry.payload, memoryview) and entry.payload.obj is received


def test_an_empty_batch_round_trips() -> None:
    meta, blob = encode_batch(3, [])
    assert blob == [] and decode_batch(meta).src == 3


@pytest.mark.parametrize(
    "mutate",
    [
        lambda meta, blob: (meta[:10], blob),  # truncated header
        lambda meta, blob: (meta[:-3], blob),  # truncated message
        lambda meta, blob: (meta + b"\0", blob),  # trailing meta bytes
        lambda meta, blob: (meta, blob + b"x"),  # blob bytes past the entries
        lambda meta, blob: (meta, blob[:-1]),  # an entry past the blob
        lambda meta, blob: (meta[:8] + b"\xff\xff\xff\x7f" + meta[12:], blob),  # 2**31 light
    ],
)
def test_malformed_batches_are_frame_errors(mutate) -> None:
    meta, parts = encode_batch(1, MESSAGES, light=[7, 4])
    bad_meta, bad_blob = mutate(meta, b"".join(parts))
    with pytest.raises(FrameError):
        decode_batch(bad_meta, bad_blob)
