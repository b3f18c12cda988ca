"""Full scan of a segment file for recovery: header, CRC32C, offset and term checks.

Reads the file in chunks of about `CHUNK_BYTES` (a batch larger than that is read in
one piece), never the whole file at once. Stops at the first batch that is torn,
partial, corrupt, out of sequence or of another term; everything before it is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.model.batch import HEADER_SIZE, BatchError, BatchHeader, parse_header, verify_crc
from core.storage.fs import pread_exact

CHUNK_BYTES = 1024 * 1024

OnBatch = Callable[[BatchHeader, int], None]


@dataclass(frozen=True, slots=True)
class ScanResult:
    valid_bytes: int
    next_offset: int
    max_timestamp_ms: int
    first_max_timestamp_ms: int | None  # of the first batch; None for an empty segment
    problem: str | None  # why the scan stopped before the end of the file


class _Window:
    """A sliding read buffer over a file, so small batches cost one pread per chunk."""

    def __init__(self, fd: int, file_bytes: int) -> None:
        self.fd = fd
        self.file_bytes = file_bytes
        self.data = b""
        self.start = 0

    def view(self, position: int, size_bytes: int) -> tuple[bytes, int]:
        """(buffer, index of `position` in it) holding at least `size_bytes` bytes."""
        assert position + size_bytes <= self.file_bytes
        if position < self.start or position + size_bytes > self.start + len(self.data):
            want = min(max(size_bytes, CHUNK_BYTES), self.file_bytes - position)
            self.data = pread_exact(self.fd, want, position)
            self.start = position
        return self.data, position - self.start


def scan_segment(
    fd: int, file_bytes: int, base_offset: int, term: int, on_batch: OnBatch
) -> ScanResult:
    """Check every batch of the file; call `on_batch(header, position)` for valid ones."""
    window = _Window(fd, file_bytes)
    position = 0
    expected_offset = base_offset
    max_timestamp_ms = -1
    first_max_ms: int | None = None
    problem: str | None = None
    for _ in range(file_bytes // HEADER_SIZE + 1):  # bounded: each batch >= HEADER_SIZE
        if position == file_bytes:
            break
        header, problem = _check_batch(window, position, expected_offset, term)
        if header is None:
            break
        on_batch(header, position)
        if first_max_ms is None:
            first_max_ms = header.max_timestamp
        max_timestamp_ms = max(max_timestamp_ms, header.max_timestamp)
        expected_offset = header.last_offset + 1
        position += header.size_bytes
    assert position <= file_bytes
    assert (problem is None) == (position == file_bytes)
    return ScanResult(position, expected_offset, max_timestamp_ms, first_max_ms, problem)


def _check_batch(
    window: _Window, position: int, expected_offset: int, term: int
) -> tuple[BatchHeader | None, str | None]:
    remaining = window.file_bytes - position
    if remaining < HEADER_SIZE:
        return None, f"{remaining} trailing bytes, shorter than a batch header"
    data, at = window.view(position, HEADER_SIZE)
    try:
        header = parse_header(data, at)
    except BatchError as error:
        return None, f"bad batch header: {error}"
    if header.size_bytes > remaining:
        return None, f"partial batch: {header.size_bytes} bytes, {remaining} in the file"
    data, at = window.view(position, header.size_bytes)
    try:
        verify_crc(data, at, header)
    except BatchError as error:
        return None, str(error)
    if header.base_offset != expected_offset:
        return None, f"batch at offset {header.base_offset}, expected {expected_offset}"
    if header.leader_epoch != term:
        return None, f"batch of term {header.leader_epoch} in a segment of term {term}"
    return header, None
