"""Replica-set changes (partition moves): the controller's in-progress table and its commands.

Commands (applied in controller log order on every node; registered by `install`):

* `update_replicas {topic, partition, revision, replicas, id}`: starts a move of the
  partition (created at controller offset `revision`) from its current replicas to
  `replicas`. Refused at apply (nothing recorded) when the partition is gone or recreated, a
  move is already in progress, or the set is unchanged; the submitter learns which by
  looking for its `id`.
* `finish_update {topic, partition, replicas}`: the group's configuration is now
  `replicas` (the leader's change_voters returned): the assignment becomes `replicas` and
  the move ends. Ignored unless `replicas` is the move's goal.
* `cancel_update {topic, partition}`: the goal becomes the previous replicas again (the
  leader reverts the group to them, then submits finish_update with them).
* `force_cancel_update {topic, partition}`: the assignment is the previous replicas at once
  and the move ends; every node forces its replica's voters back (unsafe: acknowledged
  writes only the new replicas hold may be lost; Redpanda's unclean abort).

Listeners hear `(key, move)` after each change (`move` None once it ended), `forced`
listeners `(key, replicas)` after a force-cancel. Nothing here does I/O: the reconciler
(core.cluster.reconciler) reacts off the apply path.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from core.cluster.topic_table import TopicTable

log = logging.getLogger("ailurus.moves")

Key = tuple[str, int]
COMMANDS = ("update_replicas", "finish_update", "cancel_update", "force_cancel_update")
IN_PROGRESS, CANCELLING = "in_progress", "cancelled"


@dataclass(slots=True)
class Move:
    topic: str
    partition: int
    previous: tuple[int, ...]  # the replicas before the move
    target: tuple[int, ...]  # the replicas asked for
    started_offset: int  # controller offset of update_replicas
    move_id: str = ""
    state: str = IN_PROGRESS  # or CANCELLING
    cancelled_offset: int = -1

    @property
    def goal(self) -> tuple[int, ...]:
        """The replica set the group is being changed to."""
        return self.previous if self.state == CANCELLING else self.target

    @property
    def hosts(self) -> tuple[int, ...]:
        """Every node holding a replica while the move lasts (previous ∪ target)."""
        return self.previous + tuple(n for n in self.target if n not in self.previous)

    @property
    def adding(self) -> tuple[int, ...]:
        return tuple(n for n in self.target if n not in self.previous)

    @property
    def removing(self) -> tuple[int, ...]:
        return tuple(n for n in self.previous if n not in self.target)

    def to_json(self) -> dict:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "previous": list(self.previous),
            "target": list(self.target),
            "started_offset": self.started_offset,
            "move_id": self.move_id,
            "state": self.state,
            "cancelled_offset": self.cancelled_offset,
        }

    @classmethod
    def from_json(cls, row: dict) -> Move:
        return cls(
            topic=str(row["topic"]),
            partition=int(row["partition"]),
            previous=tuple(int(n) for n in row["previous"]),
            target=tuple(int(n) for n in row["target"]),
            started_offset=int(row["started_offset"]),
            move_id=str(row.get("move_id", "")),
            state=str(row.get("state", IN_PROGRESS)),
            cancelled_offset=int(row.get("cancelled_offset", -1)),
        )


MoveListener = Callable[[Key, "Move | None"], None]
ForcedListener = Callable[[Key, tuple[int, ...]], None]


@dataclass
class MovesTable:
    topics: TopicTable
    moves: dict[Key, Move] = field(default_factory=dict)
    _listeners: list[MoveListener] = field(default_factory=list)
    _forced: list[ForcedListener] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.topics.subscribe(self._on_topic_event)

    def get(self, topic: str, partition: int) -> Move | None:
        return self.moves.get((topic, partition))

    def all(self) -> list[Move]:
        return [self.moves[k] for k in sorted(self.moves)]

    def involving(self, node_id: int) -> list[Move]:
        return [m for m in self.all() if node_id in m.hosts]

    def subscribe(self, fn: MoveListener) -> None:
        self._listeners.append(fn)

    def on_forced(self, fn: ForcedListener) -> None:
        self._forced.append(fn)

    def hosts(self, topic: str, partition: int) -> tuple[int, ...]:
        """The nodes holding a replica of the partition now (previous ∪ target while moving)."""
        move = self.moves.get((topic, partition))
        if move is not None:
            return move.hosts
        meta = self.topics.get(topic)
        if meta is None or not 0 <= partition < meta.partitions:
            return ()
        return meta.replicas(partition)

    def _emit(self, key: Key, move: Move | None) -> None:
        for fn in self._listeners:
            fn(key, move)

    def _on_topic_event(self, event: str, meta) -> None:
        if event == "deleted":
            for key in [k for k in self.moves if k[0] == meta.name]:
                del self.moves[key]
                self._emit(key, None)

    # ---- appliers --------------------------------------------------------------------------------
    def apply_update(self, payload: dict, offset: int) -> None:
        key = (payload["topic"], int(payload["partition"]))
        meta = self.topics.get(key[0])
        if meta is None or not 0 <= key[1] < meta.partitions:
            return
        if meta.partition_revisions[key[1]] != int(payload["revision"]) or key in self.moves:
            return
        target = tuple(int(n) for n in payload["replicas"])
        current = meta.replicas(key[1])
        if target == current or not target:
            return
        move = Move(key[0], key[1], current, target, offset, str(payload.get("id", "")))
        self.moves[key] = move
        log.info("move of %s/%d started at %d: %s -> %s", *key, offset, current, target)
        self._emit(key, move)

    def apply_finish(self, payload: dict, offset: int) -> None:
        key = (payload["topic"], int(payload["partition"]))
        move = self.moves.get(key)
        replicas = tuple(int(n) for n in payload["replicas"])
        if move is None or replicas != move.goal:
            return
        del self.moves[key]
        self.topics.set_replicas(key[0], key[1], replicas)
        log.info("move of %s/%d finished at %d: %s", *key, offset, replicas)
        self._emit(key, None)

    def apply_cancel(self, payload: dict, offset: int) -> None:
        key = (payload["topic"], int(payload["partition"]))
        move = self.moves.get(key)
        if move is None or move.state != IN_PROGRESS:
            return
        move.state, move.cancelled_offset = CANCELLING, offset
        log.info("move of %s/%d cancelled at %d: back to %s", *key, offset, move.previous)
        self._emit(key, move)

    def apply_force_cancel(self, payload: dict, offset: int) -> None:
        key = (payload["topic"], int(payload["partition"]))
        move = self.moves.pop(key, None)
        if move is None:
            return
        self.topics.set_replicas(key[0], key[1], move.previous)
        log.warning("move of %s/%d force-cancelled at %d: %s", *key, offset, move.previous)
        for fn in self._forced:
            fn(key, move.previous)
        self._emit(key, None)

    # ---- snapshot hooks --------------------------------------------------------------------------
    def snapshot(self) -> dict:
        return {"moves": [m.to_json() for m in self.all()]}

    def restore(self, state: dict) -> None:
        old, self.moves = self.moves, {}
        for row in state["moves"]:
            move = Move.from_json(row)
            self.moves[(move.topic, move.partition)] = move
        for key in set(old) | set(self.moves):
            self._emit(key, self.moves.get(key))


def install(controller) -> MovesTable:
    """The moves table of `controller`, its commands and snapshot state registered."""
    table = MovesTable(controller.topics)
    appliers = {
        "update_replicas": table.apply_update,
        "finish_update": table.apply_finish,
        "cancel_update": table.apply_cancel,
        "force_cancel_update": table.apply_force_cancel,
    }
    for command, fn in appliers.items():
        controller.register_with_offset(command, fn)
    controller.register_state(
        "moves", commands=COMMANDS, snapshot=table.snapshot, restore=table.restore
    )
    return table


def new_move_id() -> str:
    return uuid.uuid4().hex
