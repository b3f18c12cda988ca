"""The proxy's batch builder writes exactly what the general builder writes."""

from __future__ import annotations

import random

from core.model.batch import parse_header, verify_crc
from core.model.records import Record, build_batch, decode_batch
from core.proxy.batch import record_batch


def test_same_bytes_as_build_batch():
    rng = random.Random(7)
    cases = [
        [(b"k", b"x" * 1024)] * 50,
        [(None, b"v")],
        [(b"", None), (b"k" * 70_000, b"v" * 200)],
        [
            (None if rng.random() < 0.3 else rng.randbytes(rng.randrange(300)),
             rng.randbytes(rng.randrange(40_000)))
            for _ in range(300)
        ],
        # past the varint table: offset deltas from 32768 on
        [(None if i % 2 else b"k", b"x" if i % 3 else None) for i in range(33_000)],
    ]  # fmt: skip
    for pairs in cases:
        mine = record_batch(pairs, 1_700_000_000_000)
        general = build_batch([Record(k, v) for k, v in pairs], timestamp_ms=1_700_000_000_000)
        assert bytes(mine) == bytes(general)
        header = parse_header(mine)
        verify_crc(mine, 0, header)
        assert header.producer_id == -1 and header.record_count == len(pairs)
        _, records = decode_batch(bytes(mine))
        assert [(r.key, r.value) for r in records] == list(pairs)
