"""Where a Raft group's hard state (term, vote, the meta log of term starts) is kept durable.

A single-voter group writes it into its log's kvstore (key "raft") synchronously, as the
single-node broker always did: it sends no messages, so nothing waits on it.

A group with several voters must make it durable before it sends the messages of the same
step (a vote granted, a term adopted), but a synchronous write (temporary file, fsync,
rename, directory fsync) on the event loop costs ~1-5 ms, and 1,000 groups electing at
once then stall the loop for seconds: election timers fire meanwhile, the elections restart,
and the cluster never settles (bench/raft_heartbeat.py saw exactly that). So it writes
its own file, `raft_state.json` in the log directory, on a small shared thread pool, at
most one write in flight per group: states asked for meanwhile are coalesced into the next
write (the latest state covers the earlier ones). Each request gets a generation number;
the driver holds its outgoing messages until `durable` reaches the generation current when
they were produced (`on_durable` says when to look again).

A single-voter group writes its file the same way while its log is brand new (no term,
no entries: the partition was just created), so creating many partitions costs no fsync on
the event loop. Nothing waits for that first term to be durable, and nothing needs to: a
batch of the term that became durable carries it (its segment's name and its
partitionLeaderEpoch; recovery merges segment terms into the history), and a crash before
any did leaves an empty log, which elects a new term as at its creation.

Recovery reads the file if it is there, and the kvstore key, whichever says the higher term
(a file older than the key is removed then: it can never say the higher term again).
"""

from __future__ import annotations

import asyncio
import json
import logging
import pathlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from core.raft.types import Config, ConfigAt, HardState
from core.storage.fs import write_file_durably

log = logging.getLogger("ailurus.raft")

KVSTORE_KEY = "raft"
STATE_FILE = "raft_state.json"
WRITER_THREADS = 4
_pool: ThreadPoolExecutor | None = None


def _writer_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=WRITER_THREADS, thread_name_prefix="raft-state")
    return _pool


def encode(hard: HardState, voters: tuple[int, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "term": hard.term,
        "voted_for": hard.voted_for,
        "voters": list(voters),
        "term_history": [[r.term, r.offset] for r in hard.runs],
    }
    if hard.configs:  # core.raft.config: configuration entries, only once there are any
        out["configs"] = [[c.term, c.offset, c.seq, _config_out(c.config)] for c in hard.configs]
    if hard.forced is not None:
        out["forced"] = _config_out(hard.forced)
    return out


def _config_out(c: Config) -> dict[str, list[int]]:
    out = {"voters": list(c.voters)}
    for name in ("old", "learners", "target"):
        if getattr(c, name):
            out[name] = list(getattr(c, name))
    return out


def config_in(d: dict[str, Any]) -> Config:
    def nodes(name: str) -> tuple[int, ...]:
        return tuple(int(n) for n in d.get(name, ()))

    return Config(nodes("voters"), nodes("old"), nodes("learners"), nodes("target"))


def decode_configs(meta: dict[str, Any]) -> tuple[tuple[ConfigAt, ...], Config | None]:
    """The configuration entries and the forced configuration `encode` stored."""
    configs = tuple(
        ConfigAt(int(t), int(o), int(q), config_in(c)) for t, o, q, c in meta.get("configs", [])
    )
    forced = meta.get("forced")
    return configs, (config_in(forced) if forced is not None else None)


class HardStateStore:
    def __init__(
        self, kvstore: Any, directory: pathlib.Path | None, voters: tuple[int, ...]
    ) -> None:
        self._kvstore = kvstore
        self._voters = voters
        self._file = directory / STATE_FILE if directory is not None else None
        # several voters and a directory of our own: asynchronous writes to STATE_FILE
        self._path = self._file if len(voters) > 1 else None
        self.requested = 0  # generation of the latest state asked for
        self.durable = 0  # generation of the latest state known durable
        self.durable_state: HardState | None = None  # the state of generation `durable`
        self.on_durable: Callable[[], None] | None = None
        self._writing = False
        self._latest: HardState | None = None
        self.failed: BaseException | None = None
        self._closed = False

    @property
    def asynchronous(self) -> bool:
        return self._path is not None

    def write_off_loop(self) -> None:
        """A single voter over a brand-new log: write to STATE_FILE off the loop too (when
        there is a loop: a caller without one keeps the synchronous kvstore key)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._path = self._file

    def load(self) -> dict[str, Any]:
        stored = self._kvstore.view(KVSTORE_KEY) or {}  # read, never modified
        if self._file is None:
            return stored
        try:
            from_file = json.loads(self._file.read_bytes())
        except FileNotFoundError:
            return stored
        if from_file.get("term", -1) >= stored.get("term", -1):
            return from_file
        # Older than the kvstore's (a single voter's first term, written while its log was
        # new): it can never win again, so later starts need not read it. Not durable, nor
        # need it be: a file that comes back still loses to the kvstore.
        self._file.unlink(missing_ok=True)
        return stored

    def save(self, hard: HardState) -> None:
        if self._path is None:
            self._kvstore.put(KVSTORE_KEY, encode(hard, self._voters))
            self.requested += 1
            self.durable = self.requested
            self.durable_state = hard
            return
        self.requested += 1
        self._latest = hard
        if not self._writing:
            self._start_write()

    def _start_write(self) -> None:
        hard, self._latest = self._latest, None
        assert hard is not None and self._path is not None
        generation = self.requested
        payload = json.dumps(encode(hard, self._voters)).encode()
        self._writing = True
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(_writer_pool(), self._write, self._path, payload)
        fut.add_done_callback(lambda f: self._written(f, generation, hard))

    def _write(self, path: pathlib.Path, payload: bytes) -> None:
        if not self._closed:  # a closed group's directory may be on its way to the trash
            write_file_durably(path, payload)

    def close(self) -> None:
        """The group closed: a write not started yet is skipped, a failed one not fatal."""
        self._closed = True

    def _written(self, fut: asyncio.Future[None], generation: int, hard: HardState) -> None:
        self._writing = False
        if self._closed:
            return
        if fut.cancelled() or fut.exception() is not None:
            # The state is not durable: never release what waits on it. Fatal for the group,
            # as a failed fsync is for the log (core.storage.group_commit).
            self.failed = fut.exception() if not fut.cancelled() else RuntimeError("cancelled")
            log.critical("raft hard state write to %s failed: %r", self._path, self.failed)
            return
        if generation > self.durable:
            self.durable = generation
            self.durable_state = hard
        if self._latest is not None:
            self._start_write()
        if self.on_durable is not None:
            self.on_durable()
