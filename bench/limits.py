"""The machine's own limits, measured in the same run as the broker figures."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


def loopback_copy_mb_s(total_mib: int = 512) -> float:
    """One TCP stream over 127.0.0.1, send/recv_into with 1 MiB buffers."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    received = [0]

    def sink() -> None:
        conn, _ = server.accept()
        buf = bytearray(MIB)
        with conn:
            while True:
                n = conn.recv_into(buf)
                if not n:
                    return
                received[0] += n

    t = threading.Thread(target=sink, daemon=True)
    t.start()
    payload = b"\0" * MIB
    with socket.create_connection(("127.0.0.1", port)) as client:
        started = time.perf_counter()
        for _ in range(total_mib):
            client.sendall(payload)
    t.join(timeout=60)
    elapsed = time.perf_counter() - started
    server.close()
    return received[0] / MIB / elapsed


def fdatasync_mb_s(directory: Path, total_mib: int = 256, sync_every_mib: int = 8) -> float:
    """Sequential 1 MiB writes with an fdatasync every `sync_every_mib` (the broker's pattern)."""
    path = directory / "fdatasync-probe.bin"
    payload = os.urandom(MIB)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        started = time.perf_counter()
        for i in range(1, total_mib + 1):
            os.write(fd, payload)
            if i % sync_every_mib == 0:
                os.fdatasync(fd)
        os.fdatasync(fd)
        return total_mib / (time.perf_counter() - started)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)


def small_fdatasyncs_per_s(directory: Path, count: int = 500) -> float:
    """16 KiB write + fdatasync, repeated: the cost of one fsync per request."""
    path = directory / "fsync-rate-probe.bin"
    payload = os.urandom(16 * 1024)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        started = time.perf_counter()
        for _ in range(count):
            os.write(fd, payload)
            os.fdatasync(fd)
        return count / (time.perf_counter() - started)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)


def cpu_share_pct(before: Any, after: Any, field: str) -> float:
    """The share of the machine's CPU time spent in `field` ("steal": given by the hypervisor to
    other guests; "idle") between two psutil.cpu_times() samples: on a shared VM the figures
    move with them."""
    total = sum(after) - sum(before)
    spent = getattr(after, field) - getattr(before, field)
    return round(100 * spent / total, 1) if total > 0 else 0.0
