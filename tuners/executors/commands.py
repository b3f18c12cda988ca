"""Side effects as values. Each command can execute itself under a RootFs or render one bash
snippet that reaches the same end state; rendered paths are prefixed with "${ROOT}".

Commands with effects outside the file tree (systemctl, ethtool, update-grub) are HostCommands:
they run only when the root is the real "/" (in the script: only when ROOT is empty).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
from dataclasses import dataclass

from tuners.fs import RootFs

HEREDOC_END = "AILURUS_EOF"
HOST_COMMAND_TIMEOUT_S = 60.0


def rooted(host_path: str) -> str:
    """A host path as the script writes it: under the ROOT variable, shell-quoted."""
    return '"${ROOT}"' + shlex.quote(host_path)


def _ensure_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


@dataclass(frozen=True)
class WriteFile:
    """Write `content` (a newline is appended); chmod `mode` when the file is new.

    best_effort: a refused write is ignored (the kernel rejects some IRQ affinities); the
    post-tune check then reports what did not stick.
    """

    path: str
    content: str
    mode: int | None = None
    best_effort: bool = False

    def execute(self, fs: RootFs) -> None:
        real = fs.path(self.path)
        existed = os.path.exists(real)
        try:
            with open(real, "w", encoding="utf-8") as f:
                f.write(_ensure_newline(self.content))
        except OSError:
            if self.best_effort:
                return
            raise
        if self.mode is not None and not existed:
            os.chmod(real, self.mode)

    def render(self, fs: RootFs) -> list[str]:
        target = rooted(self.path)
        if "\n" in self.content.rstrip("\n"):
            lines = [
                f"cat > {target} <<'{HEREDOC_END}'",
                *_ensure_newline(self.content).splitlines(),
            ]
            lines.append(HEREDOC_END)
        else:
            lines = [f"printf '%s\\n' {shlex.quote(self.content.rstrip(chr(10)))} > {target}"]
            if self.best_effort:
                lines[0] += " || true"
        if self.mode is not None and not fs.exists(self.path):
            lines.append(f"chmod {self.mode:o} {target}")
        return lines


@dataclass(frozen=True)
class Sysctl:
    """`sysctl -w key=value`, done as a write under /proc/sys so it honours the root."""

    key: str
    value: str

    @property
    def path(self) -> str:
        return "/proc/sys/" + self.key.replace(".", "/")

    def execute(self, fs: RootFs) -> None:
        WriteFile(self.path, self.value).execute(fs)

    def render(self, fs: RootFs) -> list[str]:
        return [
            f"# sysctl -w {self.key}={self.value}",
            *WriteFile(self.path, self.value).render(fs),
        ]


@dataclass(frozen=True)
class MakeDirs:
    path: str

    def execute(self, fs: RootFs) -> None:
        os.makedirs(fs.path(self.path), exist_ok=True)

    def render(self, fs: RootFs) -> list[str]:
        return [f"mkdir -p {rooted(self.path)}"]


@dataclass(frozen=True)
class BackupFile:
    """Copy `path` to `path.ailurus.<first 32 hex of sha256>.bk` before it is edited."""

    path: str

    def execute(self, fs: RootFs) -> None:
        with open(fs.path(self.path), "rb") as f:
            data = f.read()
        digest = hashlib.sha256(data).hexdigest()[:32]
        with open(fs.path(f"{self.path}.ailurus.{digest}.bk"), "wb") as f:
            f.write(data)

    def render(self, fs: RootFs) -> list[str]:
        src = rooted(self.path)
        return [
            f"file_hash=$(sha256sum {src} | cut -c -32)",
            f'cp {src} {src}".ailurus.${{file_hash}}.bk"',
        ]


@dataclass(frozen=True)
class SizedFile:
    """A file of exactly `size_bytes`, with its blocks reserved where the filesystem allows."""

    path: str
    size_bytes: int

    def execute(self, fs: RootFs) -> None:
        fd = os.open(fs.path(self.path), os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            try:
                os.posix_fallocate(fd, 0, self.size_bytes)
            except OSError:
                pass  # not every filesystem can reserve blocks; the size below still holds
            os.ftruncate(fd, self.size_bytes)
            os.fsync(fd)
        finally:
            os.close(fd)

    def render(self, fs: RootFs) -> list[str]:
        target = rooted(self.path)
        return [
            f"fallocate -l {self.size_bytes} {target} 2>/dev/null || true",
            f"truncate -s {self.size_bytes} {target}",
            f"sync {target}",
        ]


@dataclass(frozen=True)
class HostCommand:
    """A program acting on the running host, not on files; skipped unless the root is "/"."""

    argv: tuple[str, ...]

    def execute(self, fs: RootFs, timeout_s: float = HOST_COMMAND_TIMEOUT_S) -> None:
        if not fs.is_host:
            return
        try:
            done = subprocess.run(
                self.argv, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            raise OSError(f"{shlex.join(self.argv)} did not finish within {timeout_s:g}s") from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise OSError(f"{shlex.join(self.argv)} exited {done.returncode}: {detail[0]}")

    def render(self, fs: RootFs) -> list[str]:
        return [f'if [ -z "${{ROOT}}" ]; then {shlex.join(self.argv)}; fi']


def ethtool_feature(nic: str, feature: str, on: bool) -> HostCommand:
    return HostCommand(("ethtool", "-K", nic, feature, "on" if on else "off"))


def systemd_unit(name: str, content: str) -> list:
    """Install /etc/systemd/system/<name>, reload systemd."""
    return [
        WriteFile(f"/etc/systemd/system/{name}", content, 0o644),
        HostCommand(("systemctl", "daemon-reload")),
    ]


Command = WriteFile | Sysctl | MakeDirs | BackupFile | SizedFile | HostCommand  # and BanIrqs
