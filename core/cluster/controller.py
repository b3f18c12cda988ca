"""The controller: a Raft group (group 0) whose log holds cluster metadata commands.

Commands (topics, members, cluster configuration, users, ACLs, producer-id blocks) are
replicated with acks=all into `<data>/redpanda/controller/0_0` and applied on EVERY node
from the committed log, in log order, never from the submitter's memory: at start by
replaying the log up to what is known committed (the persisted `last_applied`, or the
commit offset of a single voter), then whenever the commit offset moves.

`submit` on the leader appends the command and waits until it is applied here; on a
follower it forwards the command to the leader over RPC (Method.controller_submit, see
core.cluster.controller_rpc), gets back the (offset, term) it was appended at and waits
until local apply passes that offset. A command is known applied when the batch applied at
its offset carries its term (log matching); it is known lost when another term's batch was
applied there or a newer term starts at or before its offset (the meta log's term starts),
and is then submitted again. Leader changes are retried within the submit timeout; without a
leader the caller gets ClusterErrc.not_controller (NOT_CONTROLLER), after the timeout.

`last_applied` goes to the controller log's kvstore at most every PERSIST_INTERVAL_S (one
fsync per interval, not per command), and at close.

Snapshots (core.cluster.controller_snapshot): every state owner registers snapshot/restore
hooks with `register_state`; the state of all of them at the last applied offset is written
to `<log dir>/controller.snapshot` every `snapshot_every_commands` commands (or
`snapshot_every_bytes` command bytes) on a worker thread, and at close; `start` restores it
and replays only the commands after it (`replayed_at_start` counts them). The log is
prefix-truncated below the snapshots once every member holds what precedes the new start, and
a node joining later receives the leader's snapshot (core.cluster.controller_truncation):
a log starting above 0 without a snapshot covering the offset before its start refuses to
start (`on_fatal`), since the commands the snapshot held are gone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pathlib
from collections.abc import Callable, Iterable

from core.cluster.controller_rpc import (
    Forwarder,
    SubmitRequest,
)
from core.cluster.controller_snapshot import (
    SNAPSHOT_EVERY_BYTES,
    SNAPSHOT_EVERY_COMMANDS,
    ControllerSnapshot,
    Snapshots,
)
from core.cluster.controller_submit import (
    DEFAULT_SUBMIT_TIMEOUT_MS,
    CommandLost,
    ControllerSubmit,
)
from core.cluster.controller_truncation import ControllerTruncation, stop_now
from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.members import Members
from core.cluster.topic_table import TopicTable
from core.model.records import Record, iter_batches
from core.raft.consensus import Consensus
from core.raft.errors import RaftError

log = logging.getLogger("ailurus.controller")

CONTROLLER_GROUP_ID = 0
REPLAY_CHUNK_BYTES = 1024 * 1024
PERSIST_INTERVAL_S = 0.1
APPLY_POLL_S = 0.05
_KV_KEY = "controller"
NOOP = "controller_noop"  # appended by each new leader of a multi-voter controller

Applier = Callable[[dict], None]


class Controller(ControllerSubmit, ControllerTruncation):
    def __init__(
        self,
        consensus: Consensus,
        log_,
        *,
        forwarder: Forwarder | None = None,
        submit_timeout_ms: int = DEFAULT_SUBMIT_TIMEOUT_MS,
        snapshot_dir: pathlib.Path | None = None,
        snapshot_every_commands: int = SNAPSHOT_EVERY_COMMANDS,
        snapshot_every_bytes: int = SNAPSHOT_EVERY_BYTES,
        truncate_log: bool = True,
    ) -> None:
        """`snapshot_dir`: where snapshots are written; None: the log's directory, if the
        log has one (without a directory, snapshots are only taken by `capture_snapshot`).
        `truncate_log`: this node, as leader, moves the log start up to its snapshots (off:
        the whole log is kept while it leads)."""
        self.consensus = consensus
        self.node_id = consensus.node_id
        self._log = log_
        self.forwarder = forwarder  # set before start when there are several voters
        self.submit_timeout_ms = submit_timeout_ms
        self.topics = TopicTable(default_node_id=self.node_id)
        self.members = Members()
        self._appliers: dict[str, Callable[[dict, int], None]] = {
            "create_topic": self.topics.apply_create,
            "delete_topic": self.topics.apply_delete,
            "create_partitions": self.topics.apply_create_partitions,
            "update_topic_config": self.topics.apply_update_config,
            "bootstrap_cluster": self.members.apply_bootstrap,
            "register_node": self.members.apply_register,
        }
        self._next = 0  # the next offset to apply
        self._waiters: dict[tuple[int, int], asyncio.Future[None]] = {}  # (offset, term) -> fut
        self._persisted = -1
        self._persist_handle: asyncio.TimerHandle | None = None
        self._apply_scheduled = False
        self._submitting = 0  # submit calls in progress (bounded by MAX_PENDING_COMMANDS)
        self._poller: asyncio.Task | None = None
        self.started = False
        self._closed = False
        self.replayed_at_start = 0  # commands applied from the log by start
        self._applied_term = -1  # the term of the last batch applied
        self.snapshots = Snapshots(
            snapshot_dir or getattr(log_, "directory", None),
            snapshot_every_commands,
            snapshot_every_bytes,
        )
        owners, topics, members = self.snapshots.owners, self.topics, self.members
        topic_commands = (
            "create_topic",
            "delete_topic",
            "create_partitions",
            "update_topic_config",
        )
        owners.add("topics", topic_commands, topics.snapshot, topics.restore)
        owners.add(
            "members", ("bootstrap_cluster", "register_node"), members.snapshot, members.restore
        )
        self._appliers[NOOP] = lambda _payload, _offset: None
        owners.add("controller", (NOOP,), dict, lambda _state: None)  # no state
        self.truncate_log = truncate_log
        self.on_fatal: Callable[[str], None] = stop_now  # state that cannot go on safely
        self._provided: tuple[int, bytes] | None = None  # the snapshot payload last sent
        self.snapshots_installed = 0  # received from a leader (a node joining after truncation)
        self._hook_truncation()

    @property
    def leader_id(self) -> int | None:
        return self.consensus.leader_id

    @property
    def is_leader(self) -> bool:
        return self.consensus.is_leader

    @property
    def last_applied(self) -> int:
        return self._next - 1

    def register(self, command_type: str, apply_fn: Applier) -> None:
        """Route committed commands of `command_type` to `apply_fn` (register before start)."""
        assert not self.started, "register appliers before the controller replays its log"
        assert command_type not in self._appliers, f"{command_type} already has an applier"
        self._appliers[command_type] = lambda payload, _offset: apply_fn(payload)

    def register_with_offset(
        self, command_type: str, apply_fn: Callable[[dict, int], None]
    ) -> None:
        assert not self.started
        self._appliers[command_type] = apply_fn

    def register_state(
        self,
        name: str,
        *,
        commands: Iterable[str],
        snapshot: Callable[[], dict],
        restore: Callable[[dict], None],
    ) -> None:
        """The snapshot hooks of a state owner holding the effects of `commands` (register
        before start, next to its appliers; see core.cluster.controller_snapshot)."""
        assert not self.started, "register state owners before the controller replays its log"
        self.snapshots.owners.add(name, commands, snapshot, restore)

    def knows(self, command_type: str) -> bool:
        return command_type in self._appliers

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the Raft group and apply what is known committed (the rest as it commits)."""
        self._next = self._log.start_offset
        persisted = (self._log.kvstore.get(_KV_KEY) or {}).get("last_applied", -1)
        self.consensus.start()
        restored = self._restore_latest()
        start = self._log.start_offset
        if start > 0 and restored is None:
            self.snapshots.on = False  # never write this empty state over the file
            self.on_fatal(
                f"controller log starts at offset {start} but {self.snapshots.path} holds no "
                f"usable snapshot at or after offset {start - 1}: the commands before it are "
                "gone, refusing to apply from the truncated start"
            )
            return
        known = min(max(persisted + 1, self.consensus.commit_offset), self._log.next_offset)
        self.replayed_at_start = count = self.apply_upto(known)
        self._persisted = self.last_applied
        since = "" if restored is None else f"restored its snapshot at offset {restored}, then "
        log.info("controller %sreplayed %d commands up to offset %d", since, count, known)
        self.started = True
        self.consensus.add_visible_listener(self._schedule_apply)
        self.consensus.add_truncate_listener(lambda _offset: self.check_lost())
        self.consensus.add_leader_listener(self._on_leader)
        if len(self.consensus.voters) > 1:
            # A follower's commit may move after its visible offset (once its own flush
            # completes): a light poll catches that without a listener of its own.
            self._poller = asyncio.get_running_loop().create_task(self._poll())
        self._apply_committed()

    def close(self) -> None:
        """Stop its Raft group (the log is closed by whoever opened it)."""
        self._closed = True
        if self._poller is not None:
            self._poller.cancel()
        if self._persist_handle is not None:
            self._persist_handle.cancel()
        self._persist()
        self._snapshot_at_close()
        self.consensus.close()
        for fut in self._waiters.values():
            if not fut.done():
                fut.set_exception(ClusterError(ClusterErrc.shutting_down, "controller closed"))
        self._waiters.clear()

    def _on_leader(self, term: int, leader: int | None) -> None:
        self._schedule_apply()
        if leader == self.node_id and not self._closed:
            asyncio.get_running_loop().call_soon(self._append_noop, term)

    def _append_noop(self, term: int) -> None:
        """A new leader's first command (Raft's no-op): once it applies, every node's
        waiters for entries of older terms the new leader lacks fail at once (check_lost)
        and are submitted again, instead of waiting for the next command."""
        if self._closed or not self.consensus.is_leader or self.consensus.term != term:
            return
        try:
            self.append_local(SubmitRequest(NOOP, {"term": term}))
        except RaftError:
            pass  # no longer leader: the next one appends its own

    # ---- applying --------------------------------------------------------------------------------
    def _schedule_apply(self) -> None:
        if not self._apply_scheduled and not self._closed:
            self._apply_scheduled = True
            asyncio.get_running_loop().call_soon(self._apply_committed)

    async def _poll(self) -> None:
        while not self._closed:
            await asyncio.sleep(APPLY_POLL_S)
            if self.consensus.commit_offset > self._next:
                self._apply_committed()
                continue
            if self._waiters:
                self.check_lost()
            self._maybe_snapshot()  # the group's log start may wait for our next snapshot

    def _apply_committed(self) -> None:
        self._apply_scheduled = False
        if self._closed:
            return
        if self.apply_upto(self.consensus.commit_offset):
            self._schedule_persist()
        self._maybe_snapshot()  # also right after start: a long replay is snapshotted at once
        self.check_lost()
        self._maybe_truncate()  # a member that lagged may have caught up

    def apply_upto(self, end: int) -> int:
        """Apply the log's batches below `end` (known committed) not applied yet; returns
        how many commands that was."""
        count = size_bytes = 0
        while self._next < end:
            chunk = self._log.read_bytes(self._next, REPLAY_CHUNK_BYTES, end)
            if not chunk:
                break
            for header, records in iter_batches(chunk):
                for record in records:
                    self._apply(record, header.base_offset)
                    count += 1
                    size_bytes += len(record.value or b"")
                self._next = header.last_offset + 1
                self._applied_term = header.leader_epoch
                self._settle(header.base_offset, header.leader_epoch)
        self.snapshots.note(count, size_bytes)
        return count

    def _apply(self, record: Record, offset: int) -> None:
        command_type = (record.key or b"").decode()
        payload = json.loads(record.value or b"{}")
        fn = self._appliers.get(command_type)
        if fn is None:
            log.warning("controller: no applier for command %r at offset %d", command_type, offset)
            return
        try:
            fn(payload, offset)
        except Exception:  # noqa: BLE001 - one bad command must not stop every later one
            log.exception("controller: applying %r at offset %d failed", command_type, offset)

    def _settle(self, offset: int, term: int) -> None:
        """The batch at `offset` of `term` was applied: resolve or fail waiters up to it."""
        for waited, want in [key for key in self._waiters if key[0] <= offset]:
            fut = self._waiters.pop((waited, want))
            if fut.done():
                continue
            if waited == offset and want == term:
                fut.set_result(None)
            else:
                fut.set_exception(CommandLost(f"offset {waited}: term {want} was replaced"))

    def check_lost(self) -> None:
        """Fail waiters whose entry can no longer commit: the last batch applied (so
        committed), below their offset, is of a newer term (log terms never decrease and
        committed entries stay: every entry after it is of that term or later). A newer term
        merely starting at or before the offset is not enough: its entries may be uncommitted
        and replaced in turn by a later leader's log holding the awaited entry."""
        for (waited, want), fut in list(self._waiters.items()):
            if waited >= self._next and self._applied_term > want:
                del self._waiters[(waited, want)]
                if not fut.done():
                    fut.set_exception(CommandLost(f"offset {waited} of term {want} was replaced"))

    def _schedule_persist(self) -> None:
        if self._persist_handle is None:
            loop = asyncio.get_running_loop()
            self._persist_handle = loop.call_later(PERSIST_INTERVAL_S, self._persist)

    def _persist(self) -> None:
        self._persist_handle = None
        if self.last_applied > self._persisted:
            self._log.kvstore.put(_KV_KEY, {"last_applied": self.last_applied})
            self._persisted = self.last_applied

    # ---- snapshots -------------------------------------------------------------------------------
    def capture_snapshot(self) -> ControllerSnapshot:
        """Every state owner's state at the last applied offset."""
        return self.snapshots.owners.capture(self.last_applied, self._applied_term)

    def restore_snapshot(self, snapshot: ControllerSnapshot) -> bool:
        """Restore every owner from `snapshot` before any command applies; the next command
        applied is the one after it. False (nothing restored, logged) if it cannot be used."""
        assert self._next == self._log.start_offset, "restore before anything is applied"
        log_ = self._log
        if not self.snapshots.restore(
            snapshot, log_.start_offset, log_.next_offset, self.consensus.term_at
        ):
            return False
        self._next, self._applied_term = snapshot.offset + 1, snapshot.term
        return True

    def _restore_latest(self) -> int | None:
        """At start: restore the snapshot on disk if there is a usable one; its offset."""
        self.snapshots.turn_on(self._appliers)
        snapshot = self.snapshots.load()
        return snapshot.offset if snapshot and self.restore_snapshot(snapshot) else None

    def _flushed(self) -> int:
        return getattr(self._log, "flushed_offset", self._log.next_offset)

    def _maybe_snapshot(self) -> None:
        flushed = self._flushed()
        if self.snapshots.due(self.last_applied, flushed) or (
            self.start_waits() and self.snapshots.idle_ready(self.last_applied, flushed)
        ):
            self.snapshots.write_soon(self.capture_snapshot())

    def _snapshot_at_close(self) -> None:
        if self.snapshots.ready(self.last_applied, self._flushed()):
            self.snapshots.write_now(self.capture_snapshot())

    # ---- submitting ------------------------------------------------------------------------------
