"""Moves frontend: validates replica-set changes and submits them to the controller.

Used by the Admin API (`POST /v1/partitions/kafka/{t}/{p}/replicas`, cancel endpoints), the
Kafka AlterPartitionReassignments / ElectLeaders handlers and the decommission driver.
Errors are `MoveError`s carrying both the Kafka code and the HTTP status to answer with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.cluster.errors import ClusterError
from core.cluster.move_errors import MoveError
from core.cluster.moves import CANCELLING, Move, MovesTable, new_move_id
from core.protocol.errors import ErrorCode

__all__ = ["CancelResult", "MoveError", "MovesFrontend"]


@dataclass(frozen=True, slots=True)
class CancelResult:
    topic: str
    partition: int
    result: str  # "success" or the reason it was not cancelled


def _not_found(topic: str, partition: int) -> MoveError:
    return MoveError(
        ErrorCode.unknown_topic_or_partition, f"partition {topic}/{partition} does not exist", 404
    )


class MovesFrontend:
    def __init__(self, controller, moves: MovesTable, draining=lambda: frozenset()) -> None:
        """`draining()`: node ids being decommissioned (no new replicas go there)."""
        self.controller = controller
        self.moves = moves
        self.draining = draining

    @property
    def topics(self):
        return self.controller.topics

    def current(self, topic: str, partition: int) -> tuple[int, ...]:
        meta = self.topics.get(topic)
        if meta is None or not 0 <= partition < meta.partitions:
            raise _not_found(topic, partition)
        return meta.replicas(partition)

    def check(self, topic: str, partition: int, replicas: Sequence[int]) -> tuple[int, ...]:
        """The validated new replica set (MoveError otherwise)."""
        self.current(topic, partition)
        target = tuple(int(n) for n in replicas)
        if not target:
            raise MoveError(ErrorCode.invalid_replica_assignment, "the replica set is empty")
        if len(set(target)) != len(target):
            raise MoveError(ErrorCode.invalid_replica_assignment, "a node is listed twice")
        members = set(self.controller.members.node_ids())
        unknown = sorted(set(target) - members)
        if unknown:
            raise MoveError(
                ErrorCode.invalid_replica_assignment,
                f"nodes {unknown} are not members of the cluster",
            )
        leaving = sorted(set(target) & set(self.draining()))
        if leaving:
            raise MoveError(
                ErrorCode.invalid_replica_assignment, f"nodes {leaving} are being decommissioned"
            )
        if self.moves.get(topic, partition) is not None:
            raise MoveError(
                ErrorCode.reassignment_in_progress,
                f"partition {topic}/{partition} is already being moved",
            )
        return target

    async def move(self, topic: str, partition: int, replicas: Sequence[int]) -> Move | None:
        """Start moving the partition to `replicas`; None when it already has them."""
        target = self.check(topic, partition, replicas)
        if target == self.current(topic, partition):
            return None
        meta = self.topics.get(topic)
        move_id = new_move_id()
        payload = {
            "topic": topic,
            "partition": partition,
            "revision": meta.partition_revisions[partition],
            "replicas": list(target),
            "id": move_id,
        }
        await self._submit("update_replicas", payload)
        move = self.moves.get(topic, partition)
        if move is None and self.current(topic, partition) == target:
            return None  # an empty replica's move can finish before this coroutine resumes
        if move is None or move.move_id != move_id:
            raise MoveError(
                ErrorCode.reassignment_in_progress,
                f"partition {topic}/{partition} changed while the move was submitted",
            )
        return move

    async def cancel(self, topic: str, partition: int, *, force: bool = False) -> None:
        self.current(topic, partition)
        move = self.moves.get(topic, partition)
        if move is None or (move.state == CANCELLING and not force):
            raise MoveError(
                ErrorCode.no_reassignment_in_progress,
                f"no move of partition {topic}/{partition} is in progress",
            )
        command = "force_cancel_update" if force else "cancel_update"
        await self._submit(command, {"topic": topic, "partition": partition})

    async def cancel_all(self, node_id: int | None = None) -> list[CancelResult]:
        """Cancel every move in progress (or those involving `node_id`)."""
        out = []
        for move in self.moves.all():
            if move.state == CANCELLING or (node_id is not None and node_id not in move.hosts):
                continue
            try:
                await self.cancel(move.topic, move.partition)
                out.append(CancelResult(move.topic, move.partition, "success"))
            except MoveError as exc:
                out.append(CancelResult(move.topic, move.partition, exc.message))
        return out

    async def finish(self, topic: str, partition: int, replicas: Sequence[int]) -> None:
        await self._submit(
            "finish_update", {"topic": topic, "partition": partition, "replicas": list(replicas)}
        )

    async def _submit(self, command: str, payload: dict) -> None:
        try:
            await self.controller.submit(command, payload)
        except ClusterError as exc:
            raise MoveError(exc.error_code, exc.message or str(exc), 503) from None
