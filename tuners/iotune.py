"""iotune: measure a directory's disk with direct I/O and write Seastar's io-config.yaml.

Sequential 1 MiB writes and reads give the bandwidths, random 4 KiB writes and reads (several
in flight) give the IOPS. Buffers are page-aligned (mmap) as O_DIRECT needs. Where the
filesystem refuses O_DIRECT (tmpfs), buffered I/O with fdatasync is used and reported.
"""

from __future__ import annotations

import mmap
import os
import random
import threading
import time
from dataclasses import dataclass

import yaml

SEQ_BLOCK_BYTES = 1 << 20
RANDOM_BLOCK_BYTES = 4096
RANDOM_IN_FLIGHT = 4
FILE_BYTES_MAX = 256 << 20
FILE_BYTES_MIN = 16 << 20
OPS_PER_WORKER_MAX = 10_000_000  # a bound on every loop, far above what a phase can reach


@dataclass(frozen=True)
class DiskMeasurement:
    mountpoint: str
    read_iops: int
    read_bandwidth: int  # bytes per second
    write_iops: int
    write_bandwidth: int  # bytes per second
    direct_io: bool

    def as_yaml_entry(self) -> dict:
        return {
            "mountpoint": self.mountpoint,
            "read_iops": self.read_iops,
            "read_bandwidth": self.read_bandwidth,
            "write_iops": self.write_iops,
            "write_bandwidth": self.write_bandwidth,
        }


def mountpoint_of(path: str) -> str:
    current = os.path.realpath(path)
    for _ in range(256):
        if os.path.ismount(current) or current == "/":
            return current
        current = os.path.dirname(current)
    return "/"


class _TestFile:
    """A scratch file in the measured directory, opened with O_DIRECT where allowed."""

    def __init__(self, directory: str, size_bytes: int, try_direct: bool = True) -> None:
        self.path = os.path.join(directory, f".ailurus-iotune-{os.getpid()}.tmp")
        self.size_bytes = size_bytes
        self.direct = try_direct
        try:
            if not try_direct:
                raise OSError("direct I/O not requested")
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o600)
            self._probe()
        except OSError:
            self.direct = False
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)

    def _probe(self) -> None:
        """Some filesystems accept O_DIRECT at open and refuse it at the first write."""
        buf = mmap.mmap(-1, RANDOM_BLOCK_BYTES)
        try:
            os.pwrite(self.fd, buf, 0)
        except OSError:
            os.close(self.fd)
            os.unlink(self.path)
            raise
        finally:
            buf.close()

    def close(self) -> None:
        os.close(self.fd)
        os.unlink(self.path)


def _timed(workers: int, seconds: float, op) -> tuple[int, float]:
    """Run op(worker_index, op_index) in `workers` threads for `seconds`; (ops done, elapsed)."""
    counts = [0] * workers
    end = time.monotonic() + seconds
    errors: list[OSError] = []

    def loop(index: int) -> None:
        try:
            for n in range(OPS_PER_WORKER_MAX):
                op(index, n)
                counts[index] += 1
                if time.monotonic() >= end:
                    return
        except OSError as exc:
            errors.append(exc)

    start = time.monotonic()
    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    if errors:
        raise errors[0]
    return sum(counts), max(time.monotonic() - start, 1e-6)


def _phases(f: _TestFile, phase_s: float) -> tuple[int, int, int, int]:
    seq = mmap.mmap(-1, SEQ_BLOCK_BYTES)
    seq.write(os.urandom(SEQ_BLOCK_BYTES))
    small = [mmap.mmap(-1, RANDOM_BLOCK_BYTES) for _ in range(RANDOM_IN_FLIGHT)]
    blocks = f.size_bytes // SEQ_BLOCK_BYTES
    sync_each = not f.direct  # buffered fallback: make every write reach the device

    def seq_write(_: int, n: int) -> None:
        os.pwrite(f.fd, seq, (n % blocks) * SEQ_BLOCK_BYTES)
        if sync_each:
            os.fdatasync(f.fd)

    written, elapsed = _timed(1, phase_s, seq_write)
    os.fdatasync(f.fd)
    write_bw = written * SEQ_BLOCK_BYTES / elapsed
    extent = min(written, blocks) * SEQ_BLOCK_BYTES
    pages = extent // RANDOM_BLOCK_BYTES
    rngs = [random.Random(i) for i in range(RANDOM_IN_FLIGHT)]
    offset = lambda i: rngs[i].randrange(pages) * RANDOM_BLOCK_BYTES

    def random_write(i: int, _: int) -> None:
        os.pwrite(f.fd, small[i], offset(i))
        if sync_each:
            os.fdatasync(f.fd)

    write_ops, elapsed = _timed(RANDOM_IN_FLIGHT, phase_s, random_write)
    write_iops = write_ops / elapsed
    _drop_cache(f)
    extent_blocks = extent // SEQ_BLOCK_BYTES
    seq_read = lambda _, n: os.preadv(f.fd, [seq], (n % extent_blocks) * SEQ_BLOCK_BYTES)
    read_blocks, elapsed = _timed(1, phase_s, seq_read)
    read_bw = read_blocks * SEQ_BLOCK_BYTES / elapsed
    _drop_cache(f)
    read_ops, elapsed = _timed(
        RANDOM_IN_FLIGHT, phase_s, lambda i, _: os.preadv(f.fd, [small[i]], offset(i))
    )
    return int(read_ops / elapsed), int(read_bw), int(write_iops), int(write_bw)


def _drop_cache(f: _TestFile) -> None:
    if not f.direct:
        os.fdatasync(f.fd)
        os.posix_fadvise(f.fd, 0, 0, os.POSIX_FADV_DONTNEED)


def scratch_size_bytes(directory: str) -> int:
    free = os.statvfs(directory)
    available = free.f_bavail * free.f_frsize // 10
    size = max(FILE_BYTES_MIN, min(FILE_BYTES_MAX, available))
    return size - size % SEQ_BLOCK_BYTES


def measure(directory: str, duration_s: float, try_direct: bool = True) -> DiskMeasurement:
    """Measure the disk holding `directory` for about `duration_s` seconds.

    try_direct=False skips O_DIRECT and measures with buffered I/O + fdatasync, as is done
    automatically when the filesystem refuses O_DIRECT.
    """
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"directory {directory} does not exist")
    f = _TestFile(directory, scratch_size_bytes(directory), try_direct)
    try:
        read_iops, read_bw, write_iops, write_bw = _phases(f, max(duration_s, 0.04) / 4)
    finally:
        f.close()
    return DiskMeasurement(
        mountpoint_of(directory), read_iops, read_bw, write_iops, write_bw, f.direct
    )


def write_io_config(path: str, measurements: list[DiskMeasurement]) -> None:
    header = "# Written by rpk iotune (Ailurus).\n"
    buffered = [m.mountpoint for m in measurements if not m.direct_io]
    if buffered:
        header += f"# O_DIRECT unsupported, measured with buffered I/O + fdatasync: {', '.join(buffered)}\n"
    body = yaml.safe_dump({"disks": [m.as_yaml_entry() for m in measurements]}, sort_keys=False)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(header + body)
    os.replace(tmp, path)
