"""The bundle's zip writer and the helpers its steps share: entries under one root folder,
written from several threads, command output captured with a byte limit and a timeout."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

_SIZE = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}


def from_human_size(text: str) -> int:
    """docker/go-units FromHumanSize: decimal units, an `i` ignored ("100MiB" = 100,000,000)."""
    match = _SIZE.match(text.strip())
    if match is None:
        raise ValueError(f"invalid size: '{text}'")
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    return int(number * 1000 ** _POWERS[unit])


class Bundle:
    """A zip whose entries live under `root/`; safe to write from several threads."""

    def __init__(self, path: Path, root: str, timeout_s: float) -> None:
        self.path = path
        self.root = root
        self.timeout_s = timeout_s
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self._lock = threading.Lock()
        self.errors: list[str] = []
        self.names: list[str] = []

    def write(self, name: str, data: bytes | str) -> None:
        raw = data.encode() if isinstance(data, str) else data
        info = zipfile.ZipInfo(f"{self.root}/{name}", time.localtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with self._lock:
            self._zip.writestr(info, raw)
            self.names.append(name)

    def write_json(self, name: str, value: Any) -> None:
        self.write(name, json.dumps(value, indent=2, default=str))

    def fail(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)

    def command(self, name: str, argv: list[str], limit_bytes: int = -1) -> None:
        """Save a command's output (stdout then stderr), cut at `limit_bytes` when >= 0."""
        if shutil.which(argv[0]) is None:
            self.fail(f"{name}: {argv[0]}: executable file not found in $PATH")
            return
        try:
            done = subprocess.run(argv, capture_output=True, timeout=self.timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            out = (exc.stdout or b"") + (exc.stderr or b"")
            self.write(name, out if limit_bytes < 0 else out[:limit_bytes])
            self.fail(f"{name}: '{' '.join(argv)}' timed out after {self.timeout_s:g}s")
            return
        out = done.stdout + done.stderr
        self.write(name, out if limit_bytes < 0 else out[:limit_bytes])
        if done.returncode != 0:
            self.fail(f"{name}: '{' '.join(argv)}' exited with status {done.returncode}")

    def file(self, name: str, source: Path, limit_bytes: int = -1) -> None:
        try:
            with open(source, "rb") as f:
                self.write(name, f.read() if limit_bytes < 0 else f.read(limit_bytes))
        except OSError as exc:
            self.fail(f"{name}: {exc.strerror or exc}: {source}")

    def close(self) -> None:
        if self.errors:
            self.write("errors.txt", "\n".join(self.errors) + "\n")
        self._zip.close()
