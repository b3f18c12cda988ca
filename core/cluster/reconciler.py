"""The reconciliation loop of one node (Redpanda's controller_backend), OFF the controller's
apply path: appliers only mark partitions dirty; this loop then makes the replicas hosted
here match the controller's tables. New topics' and partitions' replicas are opened here too
(PartitionManager.defer_open), a batch of them per loop iteration, so applying a 1,000
partition create_topic does not stall the event loop.

For each dirty partition (topic, index):

* this node is among its hosts (the replicas, or previous ∪ target while it moves) and has
  no replica: open one (its voters are the current assignment; the group's configuration
  entries, replicated by the leader, say the rest);
* it is not among them, no move is in progress and it has a replica: close it and delete
  its files (a move finished, or was force-cancelled, without this node);
* a move is in progress and the replica here leads: drive it (one task per partition,
  at most `max_concurrent_moves`): `Consensus.change_voters(goal)` (learners catch up, then
  the joint configuration, then the new one), then submit `finish_update`. Failures (lost
  leadership, timeout, no controller) are retried after `retry_ms`; a leadership change
  marks the partition dirty again, so the new leader takes the move over. A cancel while
  driving reverts the group (`cancel_change`) and drives it back to the previous replicas.
* a force-cancel makes every hosting node force its replica's voters back at once.

Everything the loop needs survives a restart in the controller (moves and assignments are
controller state), so `start` marks every partition with a move, or with a replica here that
it should not have, dirty.
"""

from __future__ import annotations

import asyncio
import functools
import logging

from core.cluster.errors import ClusterError
from core.cluster.move_errors import MoveError
from core.cluster.move_frontend import MovesFrontend
from core.cluster.moves import Key, Move, MovesTable
from core.raft.errors import RaftError

log = logging.getLogger("ailurus.reconciler")

RETRY_MS = 1_000
CHANGE_TIMEOUT_MS = 30_000
MAX_CONCURRENT_MOVES = 64  # moves this node leads and drives at once
BATCH_KEYS = 8  # partitions reconciled between two yields to the event loop


class Reconciler:
    def __init__(
        self,
        node_id: int,
        partitions,
        moves: MovesTable,
        frontend: MovesFrontend,
        *,
        retry_ms: int = RETRY_MS,
        change_timeout_ms: int = CHANGE_TIMEOUT_MS,
        max_concurrent_moves: int = MAX_CONCURRENT_MOVES,
    ) -> None:
        self.node_id = node_id
        self.partitions = partitions  # core.cluster.partition_manager.PartitionManager
        self.moves = moves
        self.frontend = frontend
        self.retry_ms = retry_ms
        self.change_timeout_ms = change_timeout_ms
        self.max_concurrent_moves = max_concurrent_moves
        self._dirty: set[Key] = set()  # bounded by the partition count
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._driving: dict[Key, tuple[tuple[int, ...], asyncio.Task]] = {}
        self._retries: dict[Key, asyncio.TimerHandle] = {}
        self._waiting_logged: set[Key] = set()
        self._forced: dict[Key, tuple[int, ...]] = {}  # force-cancels not acted on yet
        self._closed = False
        self.opened = 0
        self.removed = 0
        self.finished = 0

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self.partitions.defer_open = self._on_new_partitions
        self.moves.subscribe(lambda key, _move: self.mark(key))
        self.moves.on_forced(self._on_forced)
        self.moves.topics.subscribe(self._on_topic_event)
        self.partitions.add_leadership_listener(self._on_leadership)
        for move in self.moves.all():
            self.mark((move.topic, move.partition))
        for replica in self.partitions.all():
            key = (replica.topic, replica.index)
            if self.node_id not in self.moves.hosts(*key):
                self.mark(key)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="reconciler")

    async def stop(self) -> None:
        self._closed = True
        for handle in self._retries.values():
            handle.cancel()
        tasks = [t for _, t in self._driving.values()]
        if self._task is not None:
            tasks.append(self._task)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def mark(self, key: Key) -> None:
        """Reconcile `key` soon (what appliers and listeners call: no I/O here)."""
        if not self._closed:
            self._dirty.add(key)
            self._wake.set()

    def _on_new_partitions(self, meta) -> None:
        """A topic or partitions created: open the replicas hosted here in the loop."""
        for index in range(meta.partitions):
            if (meta.name, index) not in self._dirty and self.partitions.get(
                meta.name, index
            ) is None:
                self.mark((meta.name, index))

    def _on_topic_event(self, event: str, meta) -> None:
        if event == "replicas":
            for index in range(meta.partitions):
                self.mark((meta.name, index))

    def _on_leadership(self, partition) -> None:
        key = (partition.topic, partition.index)
        if self.moves.get(*key) is not None:
            self.mark(key)

    # ---- the loop --------------------------------------------------------------------------------
    async def _run(self) -> None:
        while not self._closed:
            await self._wake.wait()
            self._wake.clear()
            while self._dirty:
                batch = [self._dirty.pop() for _ in range(min(BATCH_KEYS, len(self._dirty)))]
                for key in batch:
                    try:
                        self.reconcile(key)
                    except Exception:  # noqa: BLE001 - one partition must not stop the others
                        log.exception("reconciling %s/%d failed", *key)
                        self._retry_later(key)
                await asyncio.sleep(0)

    def reconcile(self, key: Key) -> None:
        topic, index = key
        forced = self._forced.pop(key, None)
        if forced is not None:
            self._force(key, forced)
        meta = self.moves.topics.get(topic)
        if meta is None or not 0 <= index < meta.partitions:
            return  # deleted: the partition manager closed its replicas
        hosted = self.node_id in self.moves.hosts(topic, index)
        move = self.moves.get(topic, index)
        local = self.partitions.get(topic, index)
        if hosted and local is None:
            local = self.partitions.open_replica(topic, index)
            self.opened += 1
            if move is not None:
                log.info("opened replica %s/%d (moving here)", topic, index)
        elif not hosted and local is not None and move is None:
            self._cancel_drive(key)
            self.partitions.remove_replica(topic, index)
            self.removed += 1
            log.info("removed replica %s/%d (moved away)", topic, index)
            return
        if move is None or local is None:
            self._cancel_drive(key)
            return
        self._maybe_drive(key, move, local)

    # ---- driving a move (the leader) ------------------------------------------------------------
    def _maybe_drive(self, key: Key, move: Move, local) -> None:
        driving = self._driving.get(key)
        if driving is not None and driving[0] != move.goal:  # cancelled meanwhile
            self._cancel_drive(key, revert=True)
            driving = None
        if driving is not None or not local.consensus.is_leader:
            return
        if len(self._driving) >= self.max_concurrent_moves:
            self._retry_later(key)
            return
        task = asyncio.get_running_loop().create_task(self._drive(key, move.goal, local))
        self._driving[key] = (move.goal, task)
        task.add_done_callback(functools.partial(self._drive_done, key))

    def _drive_done(self, key: Key, task: asyncio.Task[None]) -> None:
        if self._driving.get(key, (None, None))[1] is task:
            del self._driving[key]

    def _cancel_drive(self, key: Key, revert: bool = False) -> None:
        driving = self._driving.pop(key, None)
        if driving is None:
            return
        driving[1].cancel()
        local = self.partitions.get(*key)
        cancel_change = getattr(getattr(local, "consensus", None), "cancel_change", None)
        if revert and cancel_change is not None:
            try:
                cancel_change()
            except RaftError as exc:
                log.info("%s/%d: cancel_change: %s", *key, exc)

    async def _drive(self, key: Key, goal: tuple[int, ...], local) -> None:
        consensus = local.consensus
        try:
            if not _has_config(consensus, goal):
                change = getattr(consensus, "change_voters", None)
                if change is None:
                    self._log_waiting(key)
                    self._retry_later(key)
                    return
                if _heading_elsewhere(consensus, goal):  # a cancel found the change under way
                    consensus.cancel_change()
                await change(list(goal), timeout_ms=self.change_timeout_ms)
            await self.frontend.finish(key[0], key[1], goal)
            self.finished += 1
        except (RaftError, ClusterError, MoveError) as exc:
            log.info("move of %s/%d to %s: %s (retrying)", *key, list(goal), exc)
            self._retry_later(key)

    def _log_waiting(self, key: Key) -> None:
        if key not in self._waiting_logged and len(self._waiting_logged) < 1_000:
            self._waiting_logged.add(key)
            log.warning("move of %s/%d waits: this build's Raft cannot change voters", *key)

    def _retry_later(self, key: Key) -> None:
        if self._closed or key in self._retries:
            return
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._retries.pop(key, None)
            self.mark(key)

        self._retries[key] = loop.call_later(self.retry_ms / 1000, fire)

    # ---- force-cancel ----------------------------------------------------------------------------
    def _on_forced(self, key: Key, replicas: tuple[int, ...]) -> None:
        self._forced[key] = replicas  # acted on by the loop, off the apply path
        self.mark(key)

    def _force(self, key: Key, replicas: tuple[int, ...]) -> None:
        """Every node hosting the partition adopts `replicas` as its voters at once."""
        self._cancel_drive(key)
        local = self.partitions.get(*key)
        force = getattr(getattr(local, "consensus", None), "force_voters", None)
        if force is not None and self.node_id in replicas:
            try:
                force(list(replicas))
            except RaftError as exc:
                log.warning("%s/%d: force_voters(%s): %s", *key, list(replicas), exc)

    # ---- status ----------------------------------------------------------------------------------
    def driving(self) -> list[Key]:
        return sorted(self._driving)


def _has_config(consensus, goal: tuple[int, ...]) -> bool:
    """The group's configuration is `goal` and no change is under way."""
    state = getattr(consensus, "config_state", "stable")
    return state == "stable" and set(consensus.voters) == set(goal)


def _heading_elsewhere(consensus, goal: tuple[int, ...]) -> bool:
    """A change is under way to another set than `goal` (learners: its target; joint: the
    new voters)."""
    config = getattr(consensus, "configuration", None)
    if config is None or config.state == "stable":
        return False
    return set(config.target or config.voters) != set(goal)
