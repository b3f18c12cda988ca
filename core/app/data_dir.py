"""The data directory's lock: one broker process per data directory."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = "pid.lock"


class DataDirLocked(RuntimeError):
    """Another process holds the data directory."""


def lock_data_dir(data_dir: Path) -> int:
    """Take `<data_dir>/pid.lock` (flock, held until the fd closes) and write this process's
    pid in it; the fd. DataDirLocked if another process holds it."""
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DataDirLocked(f"data directory {data_dir} is in use by another process") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd
