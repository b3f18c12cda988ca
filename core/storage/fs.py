"""Small file-system helpers shared by the log, its indexes and the kvstore."""

from __future__ import annotations

import os
import pathlib

TEMP_SUFFIX = ".tmp"  # a leftover one marks a replacement that never reached its rename


def fsync_directory(directory: pathlib.Path | str) -> None:
    """Make entries created, renamed or removed in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    """os.write until every byte is written (a regular file rarely writes short)."""
    view = memoryview(data)
    total = len(view)
    written = 0
    for _ in range(total + 1):  # bounded: each round writes at least one byte
        if written == total:
            return
        count = os.write(fd, view[written:])
        assert count > 0, "os.write wrote nothing"
        written += count
    raise AssertionError("unreachable: write_all made no progress")


IOV_MAX = 1024  # Linux's limit on buffers per writev


def writev_all(fd: int, buffers: list[bytearray]) -> None:
    """Write `buffers` in order with one writev (one syscall, one GIL release) and finish a
    short write (a full disk or a file-size limit, then an OSError) buffer by buffer."""
    assert 0 < len(buffers) <= IOV_MAX, len(buffers)
    skip_bytes = os.writev(fd, buffers)
    for buffer in buffers:
        size = len(buffer)
        if skip_bytes >= size:
            skip_bytes -= size
            continue
        write_all(fd, memoryview(buffer)[skip_bytes:])
        skip_bytes = 0


def pread_exact(fd: int, size_bytes: int, position: int) -> bytes:
    """Read exactly `size_bytes` at `position`; shorter means the file ended early."""
    data = os.pread(fd, size_bytes, position)
    if len(data) == size_bytes:
        return data
    chunks = [data]
    got = len(data)
    for _ in range(size_bytes):  # bounded: each round reads at least one byte
        if got == size_bytes:
            break
        more = os.pread(fd, size_bytes - got, position + got)
        if not more:
            raise EOFError(f"file ended at {position + got}, wanted {size_bytes} bytes")
        chunks.append(more)
        got += len(more)
    return b"".join(chunks)


def write_file_durably(path: pathlib.Path, payload: bytes) -> None:
    """Replace `path` by `payload`: temporary file, fsync, rename, fsync directory."""
    temp = path.with_name(path.name + TEMP_SUFFIX)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write_all(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
    fsync_directory(path.parent)
