"""ReadyDriver: the part of Consensus (core.raft.consensus) that carries out what RaftCore
decided (its Ready): truncate and append the DiskLog, persist the hard state before any later
message goes out, send messages, ask group commit for a flush, resolve and fail the acks
waiters, and tell the listeners of leadership, visibility and truncation; also the reads of
entries to send (the send cache, else the log)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from core.model.batch import split_batches
from core.raft.commit_waiters import CommitWatch
from core.raft.config_driver import ConfigWaiter
from core.raft.entry_cache import EntryCache
from core.raft.errors import RaftErrc, RaftError
from core.raft.hard_state import HardStateStore
from core.raft.raft import RaftCore
from core.raft.types import Entry, HardState, Message, Ready
from core.storage.flush import FlushTarget


class ReadyDriver:
    group_id: int
    core: RaftCore | None
    log: Any
    flush_target: FlushTarget
    _flusher: Any
    _closed: bool
    _hard: HardStateStore
    _held: deque[tuple[int, list[Message]]]
    _transport: Callable[[Message], None] | None
    _commit_news: Callable[[int], None] | None
    _commit_watch: CommitWatch
    _sent_cache: EntryCache
    _waiters: deque[tuple[int, asyncio.Future]]
    _wc_waiters: deque[tuple[int, asyncio.Future]]
    _visible_listeners: list[Callable[[], None]]
    _truncate_listeners: list[Callable[[int], None]]
    _leader_listeners: list[Callable[[int, int | None], None]]
    _leadership: tuple[int, int | None]
    _config_waiters: list[ConfigWaiter]
    _ticker: asyncio.Task | None
    _wake: Callable[[int], None] | None

    # provided by the other parts of Consensus (annotations only: a stub here would shadow them,
    # this class coming first in Consensus's bases so that its _process is the one that runs)
    is_leader: bool
    _settle_config_waiters: Callable[[], None]
    _ensure_ticks: Callable[[], None]
    _apply_start: Callable[..., None]  # (offset, state=None)
    _fail_start_waiters: Callable[[RaftErrc], None]

    def _process(self) -> None:
        core = self.core
        assert core is not None
        ready = core.take_ready()
        while ready is not None:
            self._apply(ready)
            ready = core.take_ready()
        if self._config_waiters:
            self._settle_config_waiters()
        if self._ticker is None and len(core.membership.members) > 1:
            self._ensure_ticks()
        if core.timer_earlier:
            core.timer_earlier = False
            if self._wake is not None:
                self._wake(self.group_id)
        leadership = (core.term, core.leader_id)
        if leadership != self._leadership:
            self._leadership = leadership
            if self._wake is not None:
                self._wake(self.group_id)
            for fn in self._leader_listeners:
                fn(*leadership)

    def _apply(self, ready: Ready) -> None:
        if ready.truncate_to is not None:
            self._truncate_data(ready.truncate_to)
        if ready.persist is not None:
            self._persist(ready.persist)
        for entry in ready.append:
            self._append_replicated(entry)
        if ready.start_to is not None:
            self._apply_start(ready.start_to, ready.snapshot_state)
        if ready.flush:
            self._flusher.request(self.flush_target, urgent=True)
        if ready.messages:
            hard = self._hard
            if self._held or hard.durable < hard.requested:  # after the hard state is durable
                self._held.append((hard.requested, ready.messages))
            else:
                self._send(ready.messages)
        if ready.leader_changed and not self.is_leader:
            self._fail_waiters(0, RaftErrc.not_leader)
            self._fail_start_waiters(RaftErrc.not_leader)
        if ready.committed is not None:
            _release(self._waiters, ready.committed)
            self._commit_watch.committed(ready.committed)
        if ready.majority_dirty is not None:
            _release(self._wc_waiters, ready.majority_dirty)
        if ready.visible is not None:
            for fn in self._visible_listeners:
                fn()
        if ready.commit_news:
            if self._commit_news is not None:
                self._commit_news(self.group_id)  # send_commit at the end of the iteration
            else:
                assert self.core is not None
                self.core.send_commit()  # its Ready is taken by _process's loop

    def _persist(self, hard: HardState) -> None:
        """Term, vote and the meta log: durable before any later message (core.raft.hard_state)."""
        store = self._hard
        store.save(hard)
        if store.durable == store.requested and self.core is not None:
            self.core.on_persisted(hard)  # written synchronously

    def _send(self, messages: list[Message]) -> None:
        if self._transport is not None:
            for msg in messages:
                self._transport(msg)

    def _release_held(self) -> None:
        """The hard state reached a new generation: send what waited for it, in order."""
        held, durable = self._held, self._hard.durable
        while held and held[0][0] <= durable:
            _, messages = held.popleft()
            if not self._closed:
                self._send(messages)
        state, core = self._hard.durable_state, self.core
        if state is not None and core is not None and not self._closed:
            core.on_persisted(state)  # our own configuration entries count from now on
            if core.has_ready:
                self._process()

    def _append_replicated(self, entry: Entry) -> None:
        self._sent_cache.clear()
        batch = bytearray(entry.payload)
        base, last = self.log.append_replicated(batch, entry.term)  # written by the flush worker
        assert (base, last) == (entry.base, entry.last), (base, last, entry)
        self.flush_target.pending_bytes += len(batch)

    def _truncate_data(self, offset: int) -> None:
        self._sent_cache.clear()
        self.log.truncate(offset)  # fsyncs: the log is flushed up to `offset`
        self._fail_waiters(offset, RaftErrc.term_changed)
        self._commit_watch.truncated(offset)
        for fn in self._truncate_listeners:
            fn(offset)
        assert self.core is not None
        self.core.on_flushed(self.log.flushed_offset)

    def _read_entries(self, offset: int, max_bytes: int) -> list[Entry]:
        if offset >= self.log.start_offset:
            cached = self._sent_cache.read(offset, max_bytes, self.log.next_offset)
            if cached is not None:
                return cached
        chunk = memoryview(self.log.read_bytes(offset, max_bytes, self.log.next_offset))
        out = []
        batches = split_batches(chunk, check_crc=False)
        for i, (pos, header) in enumerate(batches):
            end = batches[i + 1][0] if i + 1 < len(batches) else len(chunk)
            out.append(
                Entry(header.leader_epoch, header.base_offset, header.last_offset, chunk[pos:end])
            )
        return out

    def _fail_waiters(self, above: int, errc: RaftErrc) -> None:
        """Fail the waiters of entries ending past `above` (all of them for 0)."""
        for waiters in (self._waiters, self._wc_waiters):
            while waiters and waiters[-1][0] > above:
                _, fut = waiters.pop()
                if not fut.done():
                    fut.set_exception(RaftError(errc))


def _release(waiters: deque[tuple[int, asyncio.Future]], upto: int) -> None:
    while waiters and waiters[0][0] <= upto:
        _, fut = waiters.popleft()
        if not fut.done():
            fut.set_result(None)
