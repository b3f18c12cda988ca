"""StartDriver: the part of Consensus (core.raft.consensus) that moves the log start offset,
replicated state (core.raft.log_start): DeleteRecords and retention propose a start on the
leader, every replica applies it to its DiskLog when RaftCore says (Ready.start_to), and
proposers wait until a majority holds it (it is applied here then)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from core.raft.errors import RaftErrc, RaftError
from core.raft.raft import RaftCore
from core.raft.state import RaftConfig


class StartDriver:
    core: RaftCore | None
    log: Any
    _config: RaftConfig
    _state_installer: Callable[[int, bytes], None] | None
    _closed: bool
    _start_listeners: list[Callable[[int], None]]
    # proposals waiting for their start to be applied, by offset (bounded by the DeleteRecords
    # requests in flight and one retention proposal)
    _start_waiters: deque[tuple[int, asyncio.Future]]

    def _process(self) -> None:
        raise NotImplementedError

    def propose_start(self, offset: int) -> asyncio.Future | None:
        """Move the group's log start offset to `offset` (DeleteRecords, retention; at most
        the log end). It is applied here once a majority holds it (core.raft.log_start):
        None if it already is (a single voter: at once), else a future resolving then and
        failing with not_leader if this replica stops leading first."""
        core = self.core
        if core is None or self._closed or not core.is_leader:
            raise RaftError(RaftErrc.not_leader)
        core.propose_start(offset)
        self._process()
        if self.log.start_offset >= min(offset, self.log.next_offset):
            return None
        fut = asyncio.get_running_loop().create_future()
        self._start_waiters.append((offset, fut))
        return fut

    @property
    def start_goal(self) -> int:
        """The log start this leader replicates (>= the applied `log.start_offset`)."""
        return self.core.start_goal if self.core is not None else self.log.start_offset

    def set_snapshot_state(
        self,
        provide: Callable[[int], bytes] | None,
        install: Callable[[int, bytes], None] | None,
    ) -> None:
        """The state machine's snapshot payload (core.raft.log_start): `provide(start)` when
        this leader sends a snapshot, `install(start, payload)` when this replica installs one
        (before its log start moves, durably)."""
        self._config.snapshot_state = provide
        self._state_installer = install

    def set_start_limit(self, limit: Callable[[], int] | None) -> None:
        """The largest log start this replica may apply by itself (RaftConfig.start_limit;
        None: no limit), before or after start."""
        self._config.start_limit = limit  # the core's config is this object

    def _apply_start(self, offset: int, state: bytes | None = None) -> None:
        """Prefix-truncate the data log (the start offset is persisted before it returns);
        a snapshot's state payload is installed first."""
        install = getattr(self, "_state_installer", None)
        if state and install is not None:
            install(offset, state)
        if offset > self.log.start_offset:
            self.log.prefix_truncate(offset)
        waiters, kept = self._start_waiters, deque[tuple[int, asyncio.Future]]()
        while waiters:
            want, fut = waiters.popleft()
            if fut.done():
                continue
            if want <= offset:
                fut.set_result(None)
            else:
                kept.append((want, fut))
        self._start_waiters = kept
        for fn in self._start_listeners:
            fn(offset)

    def _fail_start_waiters(self, errc: RaftErrc) -> None:
        waiters, self._start_waiters = self._start_waiters, deque()
        for _, fut in waiters:
            if not fut.done():
                fut.set_exception(RaftError(errc))
