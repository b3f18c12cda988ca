"""read() against a reference model, over random batch sizes, index intervals and bounds."""

from __future__ import annotations

import pathlib
import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

from core.common.clock import ManualClock
from core.model.batch import parse_header
from core.model.records import Record, build_batch
from core.storage.log import DiskLog, LogConfig

batch_shapes = st.lists(st.tuples(st.integers(1, 5), st.integers(0, 600)), min_size=1, max_size=25)


def expected_slice(batches: list[bytes], offset: int, max_bytes: int, upper: int) -> bytes:
    """Reference: the batch holding `offset`, then more of the same term while they fit."""
    headers = [parse_header(b) for b in batches]
    first = next(i for i, h in enumerate(headers) if h.last_offset >= offset)
    if headers[first].base_offset >= upper:
        return b""
    out = batches[first]
    for batch, header in zip(batches[first + 1 :], headers[first + 1 :]):
        if header.leader_epoch != headers[first].leader_epoch:  # next segment
            break
        if header.base_offset >= upper or len(out) + len(batch) > max_bytes:
            break
        out += batch
    return out


@settings(max_examples=25, deadline=None)
@given(
    shapes=batch_shapes,
    interval=st.integers(1, 2000),
    max_bytes=st.integers(0, 3000),
    upper_cut=st.integers(0, 200),
    term_every=st.integers(1, 30),
)
def test_read_matches_model(shapes, interval, max_bytes, upper_cut, term_every) -> None:
    with tempfile.TemporaryDirectory() as directory:
        config = LogConfig(segment_bytes=1 << 20, index_interval_bytes=interval)
        log = DiskLog.open(pathlib.Path(directory), config, ManualClock())
        batches = []
        for index, (records, value_bytes) in enumerate(shapes):
            batch = build_batch([Record(None, b"v" * value_bytes)] * records, timestamp_ms=1)
            log.append(batch, term=1 + index // term_every)
            batches.append(bytes(batch))
        upper = max(log.next_offset - upper_cut, 0)
        for offset in range(log.next_offset):
            got = log.read_bytes(offset, max_bytes, upper)
            want = expected_slice(batches, offset, max_bytes, upper) if offset < upper else b""
            assert got == want, (offset, max_bytes, upper)
        log.close()
