"""Leadership transfer on request (Admin API, leader balancer, maintenance drain), Redpanda's
`transfer_leadership` of a partition or raft group, over Method.leadership between nodes.

    transfers = LeaderTransfers(node_id, partitions, controller, peers, leaders, maintenance)
    transfers.register(rpc_server)
    outcome = await transfers.transfer_partition("t", 0, target=2)   # any node
    outcome = await transfers.transfer_group(group_id, target=None)   # any node

On the node leading the group the Raft core's transfer runs (writes stop, the target is
caught up, timeout_now makes it campaign at once, core.raft.election), and the call returns
once this node has lost leadership to a newer term, or `timeout` once the core gave up (the
target did not catch up within an election timeout; writes resume). Elsewhere the request is
forwarded once to the leader this node knows (the leaders table; the controller's own leader
for group 0), which answers with the outcome.

No target: the caught-up follower, alive and not in maintenance, leading the fewest
partitions (Redpanda takes the most up-to-date follower). A target that is this node is a
no-op success (Redpanda's transfer_to_current_leader); one that is not a voter, or is in
maintenance (it would refuse to campaign), is `invalid_target`.

Method.leadership request meta (JSON): {"op": "transfer", "topic", "partition"} or
{"op": "transfer", "group"}, with "target" (null: any) and "timeout_ms"; or
{"op": "drain_status"} (core.cluster.maintenance). Reply: {"errc", "message"[, "leader"]} or
the drain status.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.cluster.controller import CONTROLLER_GROUP_ID
from core.cluster.partition_manager import group_id_of
from core.raft.consensus import Consensus
from core.rpc.client import PeerClients
from core.rpc.errors import RpcError
from core.rpc.frame import Buffer, Method

log = logging.getLogger("ailurus.leadership")

DEFAULT_TIMEOUT_MS = 10_000  # Redpanda's raft_transfer_leader_recovery_timeout_ms
MAX_REQUEST_BYTES = 64 * 1024
RPC_MARGIN_MS = 1_000

OK = "ok"
NOT_LEADER = "not_leader"  # no leader known (or it moved while we asked): retriable
NOT_FOUND = "not_found"
INVALID_TARGET = "invalid_target"
TIMEOUT = "timeout"
UNAVAILABLE = "unavailable"  # the leader could not be reached


@dataclass(frozen=True, slots=True)
class Outcome:
    errc: str
    message: str = ""
    leader: int | None = None

    @property
    def ok(self) -> bool:
        return self.errc == OK

    def to_json(self) -> dict[str, Any]:
        return {"errc": self.errc, "message": self.message, "leader": self.leader}

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Outcome:
        leader = body.get("leader")
        return cls(str(body["errc"]), str(body.get("message", "")), leader)


class LeaderTransfers:
    def __init__(
        self,
        node_id: int,
        partitions,
        controller,
        peers: PeerClients | None,
        leaders,
        in_maintenance: Callable[[int], bool] = lambda _n: False,
    ) -> None:
        """`partitions`: core.cluster.partition_manager.PartitionManager; `controller`: the
        Controller (its consensus is group 0); `leaders`: the LeaderTable (leader hints,
        liveness, leader counts)."""
        self.node_id = node_id
        self._partitions = partitions
        self._controller = controller
        self._peers = peers
        self._leaders = leaders
        self._in_maintenance = in_maintenance
        self._waiters: dict[int, list[asyncio.Future[None]]] = {}  # group id -> futures
        self.extra_ops: dict[str, Callable[[dict], Awaitable[dict]]] = {}
        partitions.add_leadership_listener(lambda p: self._changed(p.raft_group_id))
        controller.consensus.add_leader_listener(
            lambda _term, _leader: self._changed(CONTROLLER_GROUP_ID)
        )

    def register(self, rpc_server) -> None:
        rpc_server.register(Method.leadership, self.handle)

    # ---- finding groups -------------------------------------------------------------------------
    def local_group(self, group_id: int) -> Consensus | None:
        if group_id == CONTROLLER_GROUP_ID:
            return self._controller.consensus
        for partition in self._partitions.all():
            if partition.raft_group_id == group_id:
                return partition.consensus
        return None

    def group_of(self, topic: str, partition: int) -> int | None:
        """The raft group id of a partition of the cluster (None: no such partition)."""
        meta = self._partitions.topics.get(topic)
        if meta is None or not 0 <= partition < meta.partitions:
            return None
        return group_id_of(meta.partition_revisions[partition], partition)

    def _find_partition(self, group_id: int) -> tuple[str, int] | None:
        for name, meta in self._partitions.topics.topics.items():
            for index, revision in enumerate(meta.partition_revisions):
                if group_id_of(revision, index) == group_id:
                    return name, index
        return None

    def _leader_hint(self, group_id: int) -> int | None:
        if group_id == CONTROLLER_GROUP_ID:
            return self._controller.leader_id
        found = self._find_partition(group_id)
        return None if found is None else self._leaders.leader_id(*found)

    # ---- the API ---------------------------------------------------------------------------------
    async def transfer_partition(
        self, topic: str, partition: int, target: int | None, timeout_ms: int = DEFAULT_TIMEOUT_MS
    ) -> Outcome:
        group_id = self.group_of(topic, partition)
        if group_id is None:
            return Outcome(NOT_FOUND, f"partition {topic}/{partition} does not exist")
        return await self.transfer_group(group_id, target, timeout_ms)

    async def transfer_group(
        self,
        group_id: int,
        target: int | None,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        *,
        forward: bool = True,
    ) -> Outcome:
        consensus = self.local_group(group_id)
        if consensus is not None and consensus.is_leader:
            return await self.transfer_local(consensus, target, timeout_ms)
        if group_id != CONTROLLER_GROUP_ID and self._find_partition(group_id) is None:
            return Outcome(NOT_FOUND, f"raft group {group_id} not found")
        leader = consensus.leader_id if consensus is not None else None
        if leader is None:
            leader = self._leader_hint(group_id)
        if not forward or leader is None or leader == self.node_id or self._peers is None:
            return Outcome(NOT_LEADER, f"raft group {group_id} has no leader known here", leader)
        request = {"op": "transfer", "group": group_id, "target": target, "timeout_ms": timeout_ms}
        return await self._forward(leader, request, timeout_ms)

    async def _forward(self, leader: int, request: dict, timeout_ms: int) -> Outcome:
        assert self._peers is not None
        try:
            meta, _ = await self._peers.get(leader).call(
                Method.leadership,
                json.dumps(request).encode(),
                timeout_ms=timeout_ms + RPC_MARGIN_MS,
            )
            return Outcome.from_json(json.loads(bytes(meta)))
        except (RpcError, ValueError, KeyError) as exc:
            return Outcome(UNAVAILABLE, f"leader node {leader} not reachable: {exc}", leader)

    # ---- on the leader -----------------------------------------------------------------------------
    async def transfer_local(
        self, consensus: Consensus, target: int | None, timeout_ms: int = DEFAULT_TIMEOUT_MS
    ) -> Outcome:
        """Hand the leadership of a group led here to `target` (None: the best follower)."""
        group_id = consensus.group_id
        if not consensus.is_leader or consensus.core is None:
            return Outcome(
                NOT_LEADER, f"raft group {group_id} is not led here", consensus.leader_id
            )
        if target is None:
            target = self.pick_target(consensus)
            if target is None:
                return Outcome(INVALID_TARGET, f"raft group {group_id}: no follower to lead it")
        if target == self.node_id:
            return Outcome(OK, "already the leader", self.node_id)
        problem = self._target_problem(consensus, target)
        if problem:
            return Outcome(INVALID_TARGET, f"raft group {group_id}: {problem}")
        term = consensus.term
        deadline = time.monotonic() + timeout_ms / 1000
        while consensus.is_leader and consensus.term == term:
            core = consensus.core
            if core.transfer_target is None and not consensus.transfer_leadership(target):
                break
            await self._wait_change(group_id, deadline)
            if time.monotonic() >= deadline:
                break
        if consensus.is_leader and consensus.term == term:
            return Outcome(TIMEOUT, f"raft group {group_id}: node {target} did not take over")
        log.info(
            "raft group %d: leadership moved off node %d (to %d)", group_id, self.node_id, target
        )
        return Outcome(OK, "", consensus.leader_id)

    def _target_problem(self, consensus: Consensus, target: int) -> str:
        if target not in consensus.voters:
            return f"node {target} is not a voter of the group"
        if self._in_maintenance(target):
            return f"node {target} is in maintenance mode"
        return ""

    def pick_target(
        self, consensus: Consensus, exclude: frozenset[int] = frozenset()
    ) -> int | None:
        """The caught-up follower (alive, not in maintenance) leading the fewest partitions."""
        core = consensus.core
        if core is None:
            return None
        counts = self.leader_counts()
        last = core.log.last
        candidates = [
            (progress.match != last, counts.get(node, 0), node)
            for node, progress in core.progress.items()
            if node not in exclude
            and not self._in_maintenance(node)
            and self._leaders.is_alive(node)
        ]
        return min(candidates)[2] if candidates else None

    def leader_counts(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for _topic, _partition, entry in self._leaders.entries():
            if entry.leader_id is not None:
                counts[entry.leader_id] = counts.get(entry.leader_id, 0) + 1
        return counts

    async def _wait_change(self, group_id: int, deadline: float) -> None:
        fut = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(group_id, []).append(fut)
        try:
            # the core gives up after an election timeout: look again at least that often
            await asyncio.wait_for(fut, max(0.0, min(deadline - time.monotonic(), 0.5)))
        except TimeoutError:
            pass
        finally:
            waiters = self._waiters.get(group_id, [])
            if fut in waiters:
                waiters.remove(fut)
            if not waiters:
                self._waiters.pop(group_id, None)

    def _changed(self, group_id: int) -> None:
        for fut in self._waiters.pop(group_id, []):
            if not fut.done():
                fut.set_result(None)

    # ---- RPC ----------------------------------------------------------------------------------------
    async def handle(self, meta: bytes, _blob: Buffer) -> tuple[bytes, bytes]:
        if len(meta) > MAX_REQUEST_BYTES:
            raise ValueError(f"leadership request of {len(meta)} bytes")
        request = json.loads(bytes(meta))
        if not isinstance(request, dict):
            raise ValueError("a leadership request is a JSON object")
        op = request.get("op")
        if op == "transfer":
            target = request.get("target")
            outcome = await self.transfer_group(
                int(request["group"]),
                None if target is None else int(target),
                int(request.get("timeout_ms", DEFAULT_TIMEOUT_MS)),
                forward=False,  # one hop: the sender thought we lead
            )
            return json.dumps(outcome.to_json()).encode(), b""
        extra = self.extra_ops.get(str(op))
        if extra is None:
            raise ValueError(f"unknown leadership op {op!r}")
        return json.dumps(await extra(request)).encode(), b""

    async def call(self, node_id: int, request: dict, timeout_ms: int) -> dict:
        """Send another op (e.g. drain_status) to `node_id`; raises RpcError."""
        assert self._peers is not None
        meta, _ = await self._peers.get(node_id).call(
            Method.leadership, json.dumps(request).encode(), timeout_ms=timeout_ms
        )
        return json.loads(bytes(meta))
