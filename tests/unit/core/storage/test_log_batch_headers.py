"""DiskLog.batch_headers: the headers (and transaction markers) a producer-state replay reads,
from a large batch's header alone or from chunks of small batches, over segment rolls."""

from __future__ import annotations

import os

from core.model.batch import split_batches
from core.model.control import Marker, build_marker_batch, read_marker
from core.storage.log_reads import REPLAY_LARGE_BATCH_BYTES

from .conftest import T0_MS


def test_headers_of_large_and_small_batches_and_markers(open_log, make_batch) -> None:
    log = open_log(segment_bytes=128 * 1024)
    large = REPLAY_LARGE_BATCH_BYTES // 4 + 1  # four records: just over the threshold
    for i in range(12):
        if i % 4 == 3:
            batch = build_marker_batch(7, 0, Marker(commit=i % 8 == 3, coordinator_epoch=i), T0_MS)
        else:
            batch = make_batch(records=4, value_bytes=large if i % 2 else 10, tag=i)
        log.append(batch, term=1)
    log.flush()
    assert len(log._segments) > 1  # the walk crosses segment rolls
    expected = []
    for segment in log._segments:
        data = os.pread(segment.read_fd, segment.size_bytes, 0)
        expected += [(h, read_marker(data, pos, h)) for pos, h in split_batches(data)]
    assert list(log.batch_headers(0, log.next_offset)) == expected
    assert sum(1 for _, marker in expected if marker is not None) == 3
    middle = expected[5][0]
    assert list(log.batch_headers(middle.base_offset + 1, middle.last_offset + 2)) == expected[5:7]
    assert list(log.batch_headers(log.next_offset, log.next_offset + 5)) == []
