"""Writing a transaction's commit or abort markers to every partition it touched.

A marker goes to the partition's leader: here through the partition facade's
`write_txn_marker` (TXN-DATA's seam), elsewhere through broker RPC (marker_rpc). A partition
that is leaderless, moving or unreachable is retried with a growing backoff for as long as the
caller still coordinates the transaction (`still_valid`); a deleted topic needs no marker.
A marker written to a `__consumer_offsets` partition also commits or drops the transaction's
offsets in the group coordinator of this node (it leads that partition).

`write_all` first appends the marker of every partition this node leads in one pass (their
log places fixed at once, so they share a group-commit round) and waits for all of them with
one timeout; only what that did not settle (a remote leader, a refusal, a timeout) goes
through the per-partition retry loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable

from kio.schema.errors import ErrorCode

from core.cluster.partition_manager import PartitionManager
from core.cluster.partition_txn import MARKER_TIMEOUT_MS, marker_outcome, timed_out
from core.groups.router import OFFSETS_TOPIC
from core.rpc.client import PeerClients
from core.rpc.errors import RpcError
from core.transactions import marker_rpc
from core.transactions.marker_rpc import MarkerRequest
from core.transactions.state import TxnMetadata

log = logging.getLogger("ailurus.txn")

BACKOFF_MIN_S = 0.05
BACKOFF_MAX_S = 1.0
GroupMarker = Callable[[int, int, bool], None]  # (offsets partition, producer id, commit)
_DONE = (ErrorCode.none, ErrorCode.unknown_topic_or_partition)


class MarkerWriter:
    def __init__(
        self,
        node_id: int,
        partitions: PartitionManager,
        peers: PeerClients | None,
        group_marker: GroupMarker | None = None,
    ) -> None:
        self.node_id = node_id
        self._partitions = partitions
        self._peers = peers
        self._group_marker = group_marker

    def _append_local(self, req: MarkerRequest) -> ErrorCode | asyncio.Future | None:
        """Append the marker to a partition this node leads: its acked future (None: met
        already), or the error of a refusal."""
        target = self._partitions.get(req.topic, req.partition)
        if target is None or not self._partitions.is_serving_leader(req.topic, req.partition):
            if self._partitions.describe(req.topic, req.partition) is None:
                return ErrorCode.unknown_topic_or_partition
            return ErrorCode.not_leader_or_follower
        append = getattr(target, "append_txn_marker", None)
        if append is None:  # the partition side of transactions is not in this build
            return ErrorCode.unknown_server_error
        try:
            return append(req.producer_id, req.producer_epoch, req.commit, req.coordinator_epoch)
        except Exception:  # noqa: BLE001 - a bug: logged, retried by the sender
            log.exception("%s/%d: marker failed", req.topic, req.partition)
            return ErrorCode.unknown_server_error

    def _written(self, req: MarkerRequest, error: ErrorCode) -> ErrorCode:
        if error is ErrorCode.none and req.topic == OFFSETS_TOPIC and self._group_marker:
            self._group_marker(req.partition, req.producer_id, req.commit)
        return error

    async def write_local(self, req: MarkerRequest) -> ErrorCode:
        """Write a marker to a partition this node leads (the RPC server side too)."""
        acked = self._append_local(req)
        if acked is None or isinstance(acked, ErrorCode):
            return self._written(req, acked or ErrorCode.none)
        done, _ = await asyncio.wait((acked,), timeout=MARKER_TIMEOUT_MS / 1000)
        return self._written(req, marker_outcome(acked) if done else timed_out(acked))

    async def write_one(self, req: MarkerRequest) -> ErrorCode:
        if self._partitions.is_serving_leader(req.topic, req.partition):
            return await self.write_local(req)  # the common case: no view of the cluster
        view = self._partitions.describe(req.topic, req.partition)
        if view is None:
            return ErrorCode.unknown_topic_or_partition
        leader = view.leader_id
        if leader is None:
            return ErrorCode.leader_not_available
        if leader == self.node_id:
            return await self.write_local(req)
        if self._peers is None:
            return ErrorCode.not_leader_or_follower
        try:
            return await marker_rpc.send(self._peers, leader, req)
        except RpcError as exc:
            log.debug("marker to node %d for %s/%d: %s", leader, req.topic, req.partition, exc)
            return ErrorCode.network_exception

    async def write_all(
        self,
        meta: TxnMetadata,
        commit: bool,
        coordinator_epoch: int,
        still_valid: Callable[[], bool],
        wanted: Callable[[tuple[str, int]], bool] = lambda _tp: True,
    ) -> bool:
        """Write every partition's marker; False when `still_valid()` turned false first.
        A partition no longer `wanted` (dropped from the transaction) is given up."""
        if not still_valid():
            return False
        reqs = [
            MarkerRequest(
                topic, partition, meta.producer_id, meta.producer_epoch, commit, coordinator_epoch
            )
            for topic, partition in sorted(meta.partitions)
            if wanted((topic, partition))
        ]
        left = await self._write_local_at_once(reqs)
        if not left:
            return True
        results = await asyncio.gather(
            *(
                self._until_written(
                    req, still_valid, functools.partial(wanted, (req.topic, req.partition))
                )
                for req in left
            )
        )
        return all(results)

    async def _write_local_at_once(self, reqs: list[MarkerRequest]) -> list[MarkerRequest]:
        """Append the markers of the partitions led here in one pass, wait for them together;
        the requests not settled that way (for the retry loop)."""
        left: list[MarkerRequest] = []
        waiting: list[tuple[MarkerRequest, asyncio.Future]] = []
        for req in reqs:
            if not self._partitions.is_serving_leader(req.topic, req.partition):
                left.append(req)
                continue
            acked = self._append_local(req)
            if isinstance(acked, asyncio.Future):
                waiting.append((req, acked))
            elif not _settled(req, self._written(req, acked or ErrorCode.none)):
                left.append(req)
        if waiting:
            done, _ = await asyncio.wait(
                [acked for _, acked in waiting], timeout=MARKER_TIMEOUT_MS / 1000
            )
            for req, acked in waiting:
                error = marker_outcome(acked) if acked in done else timed_out(acked)
                if not _settled(req, self._written(req, error)):
                    left.append(req)
        return left

    async def _until_written(
        self, req: MarkerRequest, still_valid: Callable[[], bool], wanted: Callable[[], bool]
    ) -> bool:
        backoff_s = BACKOFF_MIN_S
        attempts = 0
        while still_valid():
            if not wanted():
                return True
            error = await self.write_one(req)
            if _settled(req, error):
                return True
            attempts += 1
            if attempts % 20 == 0:
                log.warning("%s/%d: marker still not written after %d attempts: %s",
                            req.topic, req.partition, attempts, error.name)  # fmt: skip
            await asyncio.sleep(backoff_s)
            backoff_s = min(backoff_s * 2, BACKOFF_MAX_S)
        return False


def _settled(req: MarkerRequest, error: ErrorCode) -> bool:
    """Nothing left to write for this marker: written, no such partition, or refused for an
    older epoch (a newer epoch wrote there already: nothing left to close)."""
    if error in _DONE:
        return True
    if error is ErrorCode.invalid_producer_epoch or error is ErrorCode.producer_fenced:
        log.warning("%s/%d: marker for producer %d epoch %d refused: %s",
                    req.topic, req.partition, req.producer_id, req.producer_epoch,
                    error.name)  # fmt: skip
        return True
    return False
