"""The filesystem seam: every /proc, /sys and /etc path a tuner touches goes through a RootFs.

Tuners speak in host paths ("/proc/sys/vm/swappiness"); a RootFs maps them under its root, so
tests run every tuner against a temporary tree shaped like a real host.
"""

from __future__ import annotations

import os


class RootFs:
    def __init__(self, root: str = "/") -> None:
        self.root = os.path.abspath(root)

    @property
    def is_host(self) -> bool:
        """True when the root is the machine's own "/" (host-wide commands may then run)."""
        return self.root == "/"

    def path(self, host_path: str) -> str:
        if not host_path.startswith("/"):
            raise ValueError(f"tuner paths must be absolute: {host_path!r}")
        return os.path.join(self.root, host_path.lstrip("/")) if not self.is_host else host_path

    def to_host(self, real_path: str) -> str:
        if self.is_host:
            return real_path
        rel = os.path.relpath(real_path, self.root)
        return "/" if rel == "." else "/" + rel

    def exists(self, host_path: str) -> bool:
        return os.path.exists(self.path(host_path))

    def isdir(self, host_path: str) -> bool:
        return os.path.isdir(self.path(host_path))

    def listdir(self, host_path: str) -> list[str]:
        try:
            return sorted(os.listdir(self.path(host_path)))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def read(self, host_path: str) -> str:
        with open(self.path(host_path), encoding="utf-8", errors="replace") as f:
            return f.read().strip()

    def read_or(self, host_path: str, default: str) -> str:
        try:
            return self.read(host_path)
        except OSError:
            return default

    def read_int(self, host_path: str) -> int:
        text = self.read(host_path)
        try:
            return int(text.split()[0])
        except (IndexError, ValueError):
            raise ValueError(f"{host_path}: expected an integer, found {text!r}") from None

    def realpath(self, host_path: str) -> str:
        """The host path with every symlink resolved inside the root."""
        return self.to_host(os.path.realpath(self.path(host_path)))

    def write(self, host_path: str, text: str) -> None:
        with open(self.path(host_path), "w", encoding="utf-8") as f:
            f.write(text)

    def unwritable_reason(self, host_path: str) -> str:
        """Empty when `host_path` can be written; otherwise why not, for an UNSUPPORTED-REASON."""
        real = self.path(host_path)
        if not os.path.exists(real):
            return f"{host_path} does not exist on this host"
        if os.access(real, os.W_OK):
            return ""
        if os.geteuid() != 0:
            return f"{host_path} is not writable: run as root"
        if in_container(self):
            return f"{host_path} is read-only inside this container"
        return f"{host_path} is read-only"


def in_container(fs: RootFs) -> bool:
    if fs.exists("/.dockerenv") or fs.exists("/run/.containerenv"):
        return True
    cgroup = fs.read_or("/proc/1/cgroup", "")
    return any(word in cgroup for word in ("docker", "kubepods", "lxc", "containerd"))
