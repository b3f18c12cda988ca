"""Controller snapshots: the state of every state owner at one applied offset, in one file.

A state owner (the topic table, the members table, users, ACLs, cluster config, producer-id
blocks) registers with the controller, next to its appliers, a `snapshot() -> dict` (a fresh,
JSON-ready dict it never mutates afterwards) and a `restore(dict)` that replaces its state by
one `snapshot()` returned (called on a fresh owner at start, before any command applies),
naming the command types whose effects that state holds. The controller snapshots every
owner at its last applied offset (so at or below the commit offset, and only once that
offset is flushed in its own log) every `every_commands` commands or `every_bytes` command
bytes, and at close; at start it restores the latest snapshot and replays only the log after.

The log IS prefix-truncated below the snapshots (core.cluster.controller_truncation): the
leader moves the controller log start to at most its snapshot + 1 once every member holds
what precedes it, every replica applies a start only up to its own latest durable snapshot
+ 1, and a node joining after a truncation receives the leader's snapshot. So a snapshot is
no longer optional once the log starts above 0: at start, a snapshot covering `start - 1`
(at or after it: one received may be ahead of the local log) is required, and without one
the controller refuses to start (a fatal log line naming the file) rather than apply from
the truncated start. While the log still starts at 0, a missing or unreadable file, an
owner missing from it, or an offset not in the log (or of another term there) is ignored
with a warning and the whole log is replayed, as before snapshots existed. (A state owner
that a newer version registers and an older snapshot lacks therefore makes a start over a
truncated log refuse.) A
command type with no owner (an applier registered without snapshot hooks) turns snapshots
off altogether, since restoring one would lose that command's effects.

File `<controller log dir>/controller.snapshot`: one header line
`{"format": 1, "offset", "term", "bytes", "crc32"}` then the body `{owner name: state}`
(`bytes` and `crc32` cover the body), replaced atomically: temporary file, fsync, rename,
directory fsync (a leftover `.tmp` is overwritten by the next write). One writer at a time;
a snapshot never replaces a newer one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import pathlib
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("ailurus.controller")

SNAPSHOT_NAME = "controller.snapshot"
FORMAT = 1
SNAPSHOT_EVERY_COMMANDS = 1000
SNAPSHOT_EVERY_BYTES = 8 * 1024 * 1024
MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024  # a header claiming more is corrupt


class SnapshotError(ValueError):
    """A snapshot file that cannot be used (torn, corrupt, another format)."""


@dataclass(frozen=True, slots=True)
class StateOwner:
    name: str
    commands: frozenset[str]
    snapshot: Callable[[], dict]
    restore: Callable[[dict], None]


@dataclass(frozen=True, slots=True)
class ControllerSnapshot:
    offset: int  # the last command applied into it
    term: int  # that command's batch term
    states: dict[str, dict]  # owner name -> its snapshot()

    def encode(self) -> bytes:
        body = json.dumps(self.states, separators=(",", ":"), sort_keys=True).encode()
        header = {
            "format": FORMAT,
            "offset": self.offset,
            "term": self.term,
            "bytes": len(body),
            "crc32": zlib.crc32(body),
        }
        return json.dumps(header).encode() + b"\n" + body

    @classmethod
    def decode(cls, data: bytes) -> ControllerSnapshot:
        line, sep, body = data.partition(b"\n")
        try:
            header = json.loads(line) if sep else None
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise SnapshotError(f"not a format {FORMAT} controller snapshot")
            if len(body) != header["bytes"] or zlib.crc32(body) != header["crc32"]:
                raise SnapshotError("the body does not match its header (torn or corrupt)")
            states = json.loads(body)
            if not isinstance(states, dict):
                raise SnapshotError("the body is not an object of owner states")
            return cls(int(header["offset"]), int(header["term"]), states)
        except (ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, SnapshotError):
                raise
            raise SnapshotError(f"unreadable: {exc}") from None


class SnapshotFile:
    """The latest snapshot of one controller, on disk; `write` may run on a worker thread."""

    def __init__(self, directory: pathlib.Path) -> None:
        self.path = pathlib.Path(directory) / SNAPSHOT_NAME
        self._lock = threading.Lock()
        self.written_offset = -1  # the newest snapshot written by this process

    def read(self) -> ControllerSnapshot | None:
        """The snapshot on disk; None if there is none or it cannot be used (logged)."""
        try:
            with self.path.open("rb") as f:
                data = f.read(MAX_SNAPSHOT_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("controller snapshot %s unreadable (%s): replaying the log", self.path, exc)
            return None
        try:
            return ControllerSnapshot.decode(data)
        except SnapshotError as exc:
            log.warning("controller snapshot %s ignored: %s; replaying the log", self.path, exc)
            return None

    def write(self, snapshot: ControllerSnapshot) -> bool:
        """Replace the file by `snapshot` durably unless a newer one was written; True if
        written. Encoding happens here too, so a caller on a worker thread keeps the JSON
        work off the event loop."""
        with self._lock:
            if snapshot.offset <= self.written_offset:
                return False
            _write_durably(self.path, snapshot.encode())
            self.written_offset = snapshot.offset
            return True


def _write_durably(path: pathlib.Path, data: bytes) -> None:
    """Temporary file, fsync, rename, directory fsync. (Not core.storage.fs: the modules
    offering state, which the Admin API imports, must not pull in the storage layer.)"""
    temp = path.with_name(path.name + ".tmp")
    with temp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class StateOwners:
    """The registered owners: capture all of them, restore all of them."""

    def __init__(self) -> None:
        self._owners: dict[str, StateOwner] = {}

    def add(
        self,
        name: str,
        commands: Iterable[str],
        snapshot: Callable[[], dict],
        restore: Callable[[dict], None],
    ) -> None:
        assert name not in self._owners, f"state owner {name} is already registered"
        self._owners[name] = StateOwner(name, frozenset(commands), snapshot, restore)

    def uncovered(self, command_types: Iterable[str]) -> list[str]:
        """Command types whose effects no owner's snapshot holds."""
        covered = {c for owner in self._owners.values() for c in owner.commands}
        return sorted(set(command_types) - covered)

    def capture(self, offset: int, term: int) -> ControllerSnapshot:
        states = {name: owner.snapshot() for name, owner in self._owners.items()}
        return ControllerSnapshot(offset, term, states)

    def missing(self, snapshot: ControllerSnapshot) -> list[str]:
        """Owners registered here whose state `snapshot` lacks."""
        return sorted(set(self._owners) - set(snapshot.states))

    def restore(self, snapshot: ControllerSnapshot) -> None:
        """Every owner from `snapshot` (check `missing` first); states of owners not
        registered here are ignored."""
        for name, owner in self._owners.items():
            owner.restore(snapshot.states[name])


def offer_state(
    controller: Any,
    name: str,
    commands: Iterable[str],
    snapshot: Callable[[], dict],
    restore: Callable[[dict], None],
) -> None:
    """Register snapshot hooks on a controller that takes snapshots; a controller that only
    applies commands (a test double) is left alone."""
    register_state = getattr(controller, "register_state", None)
    if register_state is not None:
        register_state(name, commands=tuple(commands), snapshot=snapshot, restore=restore)


class Snapshots:
    """One controller's snapshots: its owners, its file, when the next one is due, the
    write in flight (at most one)."""

    def __init__(
        self, directory: pathlib.Path | None, every_commands: int, every_bytes: int
    ) -> None:
        self.owners = StateOwners()
        self.file = SnapshotFile(directory) if directory is not None else None
        self.every_commands = every_commands
        self.every_bytes = every_bytes
        self.on = False  # decided at start: a file, and every command type has an owner
        self.offset = -1  # the latest snapshot written or restored
        self._commands = 0  # applied since the latest snapshot was captured
        self._bytes = 0
        self._writing: asyncio.Future | None = None
        self.on_written: Callable[[int], None] | None = None  # a periodic write is durable

    @property
    def path(self) -> pathlib.Path | None:
        return self.file.path if self.file is not None else None

    def file_bytes(self) -> bytes | None:
        """The snapshot file as it is on disk (None: none, or unreadable)."""
        if self.file is None:
            return None
        try:
            return self.file.path.read_bytes()
        except OSError:
            return None

    def install(self, snapshot: ControllerSnapshot, *, restored: bool) -> None:
        """Write a snapshot received from the leader as ours, here and now (raises OSError);
        `restored`: its state is the owners' state now."""
        if self.file is not None:
            self.file.write(snapshot)
        if restored or self.file is not None:
            self.offset = max(self.offset, snapshot.offset)

    def turn_on(self, command_types: Iterable[str]) -> None:
        uncovered = self.owners.uncovered(command_types)
        if uncovered:
            log.warning("controller snapshots off: no state owner for %s", ", ".join(uncovered))
        self.on = not uncovered and self.file is not None

    def load(self) -> ControllerSnapshot | None:
        return self.file.read() if self.on and self.file is not None else None

    def restore(
        self,
        snapshot: ControllerSnapshot,
        log_start: int,
        log_end: int,
        term_at: Callable[[int], int],
    ) -> bool:
        """Restore every owner from `snapshot`, taken over a log now holding
        [log_start, log_end); False (logged, nothing restored) if it cannot be used. Over a
        truncated log (log_start > 0) it may end at log_start - 1, or past the log end (one
        received from the leader: its commands are committed and replicated next)."""
        reason = None
        missing = self.owners.missing(snapshot)
        if missing:
            reason = f"it lacks the state of {', '.join(missing)}"
        elif snapshot.offset < log_start - 1:
            reason = f"the log starts at {log_start}: the commands after it are gone"
        elif snapshot.offset >= log_end and log_start == 0:
            reason = f"the log holds [{log_start}, {log_end}) only"
        elif snapshot.offset < log_end and term_at(snapshot.offset) != snapshot.term:
            reason = f"the log has term {term_at(snapshot.offset)} there, not {snapshot.term}"
        if reason is not None:
            log.warning("controller snapshot at offset %d ignored: %s", snapshot.offset, reason)
            return False
        self.owners.restore(snapshot)
        self.offset = snapshot.offset
        return True

    def note(self, commands: int, size_bytes: int) -> None:
        self._commands += commands
        self._bytes += size_bytes

    def ready(self, last_applied: int, flushed: int) -> bool:
        """A snapshot may be written: on, something new applied, and that flushed in the
        log (so a restart finds every command it covers there)."""
        return self.on and self.offset < last_applied < flushed

    def idle_ready(self, last_applied: int, flushed: int) -> bool:
        """`ready`, and no write in flight."""
        return self._writing is None and self.ready(last_applied, flushed)

    def due(self, last_applied: int, flushed: int) -> bool:
        enough = self._commands >= self.every_commands or self._bytes >= self.every_bytes
        return enough and self._writing is None and self.ready(last_applied, flushed)

    def write_soon(self, snapshot: ControllerSnapshot) -> None:
        """Write on a worker thread (encoding and fsyncs off the event loop)."""
        assert self.file is not None and self._writing is None
        self._commands = self._bytes = 0
        loop = asyncio.get_running_loop()
        self._writing = fut = loop.run_in_executor(None, self.file.write, snapshot)
        fut.add_done_callback(lambda f: self._written(f, snapshot.offset))

    def _written(self, fut: asyncio.Future, offset: int) -> None:
        self._writing = None
        if fut.cancelled():
            return
        if fut.exception() is not None:
            log.warning("controller snapshot at offset %d not written: %s", offset, fut.exception())
            return
        self.offset = max(self.offset, offset)
        log.info("controller snapshot written at offset %d", offset)
        if self.on_written is not None:
            self.on_written(offset)

    def write_now(self, snapshot: ControllerSnapshot) -> None:
        """Write here and now (at close); waits for a write in flight."""
        assert self.file is not None
        try:
            if self.file.write(snapshot):
                self.offset = max(self.offset, snapshot.offset)
        except OSError as exc:
            log.warning("controller snapshot at offset %d not written: %s", snapshot.offset, exc)
