"""The controller log's prefix truncation below its snapshots (a part of
core.cluster.controller.Controller), and the snapshot a node joining after it receives.

Leader: once a snapshot at offset S is durable here, the leader proposes the log start
(Consensus.propose_start, replicated state: core.raft.log_start)

    goal = min(S + 1, commit, every member's min(match, flushed))

over every voter AND learner of the current configuration, only when every one of them
answered this leader (a match known in this term: a new leader that has not heard from a
member yet never truncates), and only if the goal is above the current start. Offsets are
ends here (one past the last offset held), so no "+ 1" on the members' side: every member
holds, durably, every entry below the goal, and no existing member ever needs a snapshot.
A member that is down holds the controller log back until it returns (or is
decommissioned and leaves the configuration): that is the price of never sending a
snapshot to a member.

Every replica (leader included) applies a start only up to its OWN latest durable snapshot
+ 1 (RaftConfig.start_limit), so its restart always finds a snapshot covering `start - 1`;
a replica held back applies the rest at a later request, once its next snapshot is written.

A node outside the configuration when the log was truncated (a joiner) has nothing below the
leader's start: the leader sends it a snapshot (core.raft.log_start) whose payload is the
leader's snapshot file at offset >= start - 1 (`_provide_snapshot`: the file's bytes, or
its current state, always at or past start - 1 on a leader since its own start is bounded
as above). The joiner's `_install_snapshot` writes it as its own snapshot file, durably,
then restores every owner from it (as at start) while it has applied nothing, and applies
from the offset after it (entries between the log start and it, replicated next, are already
in its state). A controller that already applied commands and whose state covers the new
start keeps its state (and keeps a snapshot covering start - 1 on disk); one whose state does
not (never under the rule above) is not touched in memory: the payload becomes its snapshot
file and the broker stops (a fatal log line, as a failed fdatasync), so that its restart
restores it. A start applied past what this controller applied without a snapshot stops
the broker too.

Limit: the payload travels in one AppendRequest, so one RPC frame (core.rpc.frame's
DEFAULT_MAX_FRAME_BYTES, 32 MiB) bounds the controller state a joiner can receive.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping

from core.cluster.controller_snapshot import ControllerSnapshot, SnapshotError, Snapshots
from core.raft.consensus import Consensus
from core.raft.meta_log import NO_POSITION

log = logging.getLogger("ailurus.controller")

FATAL_EXIT_CODE = 70  # as a failed fdatasync (core.storage.group_commit)


def stop_now(reason: str) -> None:
    """The broker cannot go on without corrupting its controller state: stop it at once."""
    log.critical("%s: stopping the broker without a clean shutdown", reason)
    logging.shutdown()
    os._exit(FATAL_EXIT_CODE)


def truncation_goal(
    snapshot_offset: int, commit: int, start: int, member_ends: Mapping[int, int | None]
) -> int | None:
    """The controller log start to propose, or None. `member_ends`: each other member's
    durable end in this term (min(match, flushed), an offset one past its last entry; None:
    not heard from in this term); `commit` and `start` are this leader's."""
    if snapshot_offset < 0:
        return None
    goal = min(snapshot_offset + 1, commit)
    for end in member_ends.values():
        if end is None:
            return None
        goal = min(goal, end)
    return goal if goal > start else None


def member_ends(consensus: Consensus) -> dict[int, int | None]:
    """Every other member's durable end as this leader knows it (None: unknown this term)."""
    core = consensus.core
    assert core is not None
    ends: dict[int, int | None] = {}
    for peer in core.peers:
        p = core.progress.get(peer)
        known = p is not None and p.match != NO_POSITION
        ends[peer] = min(p.match[0], p.flushed) if known and p is not None else None
    return ends


class ControllerTruncation:
    """Truncation, snapshot transfer; the state it uses is the Controller's."""

    consensus: Consensus
    snapshots: Snapshots
    truncate_log: bool
    truncate_hooked: bool
    on_fatal: Callable[[str], None]
    _next: int
    _applied_term: int
    _closed: bool
    _provided: tuple[int, bytes] | None
    snapshots_installed: int
    _waiters: dict[tuple[int, int], asyncio.Future[None]]

    def _settle(self, offset: int, term: int) -> None:
        raise NotImplementedError

    def capture_snapshot(self) -> ControllerSnapshot:
        raise NotImplementedError

    def _hook_truncation(self) -> None:
        """Before the Raft group starts: the start limit and the snapshot payload hooks (a
        test double of a consensus without them: no truncation)."""
        consensus = self.consensus
        self.truncate_hooked = hasattr(consensus, "set_start_limit")
        if not self.truncate_hooked:
            self.truncate_log = False
            return
        # the latest durable snapshot + 1, and never past what this node applied
        consensus.set_start_limit(lambda: min(self.snapshots.offset + 1, self._next))
        consensus.set_snapshot_state(self._provide_snapshot, self._install_snapshot)
        consensus.add_start_listener(self._start_moved)
        self.snapshots.on_written = lambda _offset: self._maybe_truncate()

    # ---- leader ---------------------------------------------------------------------------------
    def _maybe_truncate(self) -> None:
        consensus = self.consensus
        if not self.truncate_log or self._closed or not self.snapshots.on:
            return
        core = consensus.core
        if core is None or not core.can_propose:
            return
        goal = truncation_goal(
            self.snapshots.offset,
            consensus.commit_offset,
            consensus.start_goal,
            member_ends(consensus),
        )
        if goal is None:
            return
        log.info("controller log start: proposing %d (snapshot at %d)", goal, self.snapshots.offset)
        fut = consensus.propose_start(goal)
        if fut is not None:  # fails if we stop leading first: the next leader proposes again
            fut.add_done_callback(lambda f: f.cancelled() or f.exception())

    def start_waits(self) -> bool:
        """The group's log start (the leader's goal, as leader or as told by it) is past what
        this node may apply (its latest snapshot + 1): a snapshot now lets it follow, instead
        of at the next periodic one (then every heartbeat to it is a full request)."""
        core = getattr(self.consensus, "core", None)
        if core is None or not self.truncate_hooked:
            return False
        wanted = core.start_goal if core.is_leader else core.leader_start
        # one snapshot that lets it apply the whole of it (not one per poll while applying)
        return self.snapshots.offset + 1 < wanted <= self._next

    def _provide_snapshot(self, start: int) -> bytes:
        """The payload of a snapshot at log start `start`: a controller snapshot at an offset
        at or past `start - 1` (the file's bytes; this node's state if the file lags)."""
        snaps = self.snapshots
        cached = self._provided
        if cached is not None and cached[0] == snaps.offset and cached[0] >= start - 1:
            return cached[1]
        data = snaps.file_bytes()
        offset = -1
        if data is not None:
            try:
                offset = ControllerSnapshot.decode(data).offset
            except SnapshotError as exc:
                log.warning("controller snapshot file unusable for a transfer: %s", exc)
        if offset < start - 1 or data is None:
            if self._next < start:
                log.error("controller: no snapshot reaches offset %d to send", start - 1)
                return b""  # the receiver stops rather than move its start without state
            data = self.capture_snapshot().encode()
            offset = self._next - 1
        self._provided = (offset, data)
        return data

    # ---- receiver -------------------------------------------------------------------------------
    def _install_snapshot(self, start: int, payload: bytes) -> None:
        """The leader's snapshot for a log restarting at `start` (called before the start
        moves; see the module docstring)."""
        try:
            snapshot = ControllerSnapshot.decode(payload)
        except SnapshotError as exc:
            return self.on_fatal(f"controller snapshot received for log start {start}: {exc}")
        if snapshot.offset < start - 1:
            return self.on_fatal(
                f"controller snapshot received at offset {snapshot.offset} does not reach "
                f"the log start {start}"
            )
        missing = self.snapshots.owners.missing(snapshot)
        if missing:
            return self.on_fatal(
                f"controller snapshot received lacks the state of {', '.join(missing)}"
            )
        if self._next >= start:  # our state covers every command below the new start
            if self.snapshots.offset < start - 1:
                self._keep_installed(snapshot, restored=False)
            return None
        if self._next > 0 or self.snapshots.offset >= 0:
            self._keep_installed(snapshot, restored=False)
            return self.on_fatal(
                f"controller applied up to offset {self._next - 1}, below a snapshot received "
                f"at offset {snapshot.offset} for log start {start}; it is now "
                f"{self.snapshots.path}: restart to restore it"
            )
        if not self._keep_installed(snapshot, restored=True):
            return None
        self.snapshots.owners.restore(snapshot)
        self._next, self._applied_term = snapshot.offset + 1, snapshot.term
        for waited, _want in [key for key in self._waiters if key[0] <= snapshot.offset]:
            self._settle(waited, self.consensus.term_at(waited))  # same term: same entry
        self.snapshots_installed += 1
        log.info("controller installed the leader's snapshot at offset %d", snapshot.offset)
        return None

    def _keep_installed(self, snapshot: ControllerSnapshot, *, restored: bool) -> bool:
        """Write a received snapshot as ours, durably; False (fatal) if it cannot be."""
        try:
            self.snapshots.install(snapshot, restored=restored)
        except OSError as exc:
            self.on_fatal(f"controller snapshot {self.snapshots.path} not written: {exc}")
            return False
        return True

    def _start_moved(self, start: int) -> None:
        if start > self._next and not self._closed:
            self.on_fatal(
                f"controller log start moved to {start} past what this controller applied "
                f"(up to offset {self._next - 1}) without a snapshot"
            )
