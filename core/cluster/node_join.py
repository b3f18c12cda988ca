"""A node outside seed_servers joins a running cluster through its seeds (Method.node_join),
as Redpanda's members_manager does.

The joining node, before anything else starts (`prepare_join`, a no-op for founders and for a
node that joined before): it dials its seeds in turn, each on a one-shot connection (the hello,
then one node_join request) until one answers. Its hello carries a pseudo node id (negative,
derived from its UUID: never a real id) until it has one. The request names its UUID, the
node_id its configuration asks for (or none) and its addresses; the seed submits
`register_node` to the controller (forwarded to its leader) and answers, once the command
applied there:

    {"node_id": id, "cluster_uuid": ..., "controller_voters": [...],
     "members": [{"node_id", "uuid", "rpc_host", "rpc_port"}, ...]}

or {"error": reason} when the controller refused (a node id held by another UUID: a wiped node
cannot pass as its old self, nor take a decommissioned id). `node_id` is assigned at apply when
the configuration leaves it out (one past the largest id ever assigned; the same UUID asking
again gets its id back). The joiner keeps the answer in node.json and starts as a member:
its controller replica opens with the controller's current voters (which leave it out: it
waits for the leader's entries) and `ControllerVoters`, on the controller leader, adds every
new member to the controller group by joint consensus (core.raft.config), as Redpanda adds
nodes to raft0 (and takes out a member decommissioned while it runs).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from core.cluster.controller import Controller
from core.cluster.errors import ClusterError
from core.config.node import Address, NodeConfig
from core.raft.errors import RaftError
from core.rpc.discovery import one_shot
from core.rpc.errors import RpcError, RpcUnavailable
from core.rpc.frame import Buffer, Method
from core.rpc.hello import NodeIdentity

log = logging.getLogger("ailurus.bootstrap")

JOIN_TIMEOUT_MS = 120_000  # a joiner retries its seeds this long
JOIN_CALL_TIMEOUT_MS = 15_000  # one node_join request (a controller command inside)
RETRY_MIN_MS = 200
RETRY_MAX_MS = 2_000
MAX_REQUEST_BYTES = 64 * 1024
CHANGE_TIMEOUT_MS = 30_000
CHANGE_RETRY_S = 1.0


class JoinRefused(RuntimeError):
    """The cluster refused this node (the reason says why); retrying will not help."""


def pseudo_node_id(node_uuid: uuid.UUID) -> int:
    """What a node without an id says in its hello: negative, stable for its UUID."""
    return -2 - (node_uuid.int % (1 << 30))


def joining(node: NodeConfig) -> bool:
    """A node with seeds that is not itself among them joins a running cluster."""
    own = node.advertised_rpc_api or node.rpc_server
    return bool(node.seed_servers) and own not in node.seed_servers


# ---- the joining side --------------------------------------------------------------------------
async def prepare_join(node: NodeConfig, meta, timeout_ms: int = JOIN_TIMEOUT_MS) -> None:
    """Join through the seeds unless this node is a founder or joined before (node.json).
    Dials with core.rpc.tls's context: set it first (rpc_server_tls)."""
    if not joining(node) or meta.get("joined"):
        return
    stored = meta.get("node_uuid")
    node_uuid = uuid.UUID(stored) if stored else uuid.uuid4()
    meta.put_many({"node_uuid": str(node_uuid)})  # kept: a retry asks with the same UUID
    wanted = node.node_id if node.node_id is not None else meta.get("node_id")
    own = node.advertised_rpc_api or node.rpc_server
    request = {
        "uuid": str(node_uuid),
        "node_id": wanted,
        "rpc_host": own.host,
        "rpc_port": own.port,
        "kafka_host": node.kafka_advertised.host,
        "kafka_port": node.kafka_advertised.port,
        "rack": node.rack,
    }
    answer = await _ask_seeds(node.seed_servers, node_uuid, request, timeout_ms)
    meta.put_many(
        {
            "node_id": int(answer["node_id"]),
            "cluster_uuid": str(answer["cluster_uuid"]),
            "cluster_named": True,
            "controller_voters": [int(v) for v in answer["controller_voters"]],
            "join_members": answer["members"],
            "joined": True,
        }
    )
    log.info("joined cluster %s as node %s", answer["cluster_uuid"], answer["node_id"])


async def _ask_seeds(
    seeds: list[Address], node_uuid: uuid.UUID, request: dict, timeout_ms: int
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_ms / 1000
    local = NodeIdentity(pseudo_node_id(node_uuid), node_uuid)
    delay_ms, last = RETRY_MIN_MS, "no seed answered"
    while True:
        for seed in seeds:
            try:
                answer = await join_call(seed.host, seed.port, local, request)
            except (RpcError, ValueError) as exc:
                last = f"{seed}: {exc}"
                continue
            if "error" in answer:
                raise JoinRefused(f"seed {seed} refused node {request['node_id']}: {answer}")
            return answer
        if loop.time() >= deadline:
            raise TimeoutError(f"joining through {[str(s) for s in seeds]}: {last}")
        await asyncio.sleep(delay_ms / 1000)
        delay_ms = min(2 * delay_ms, RETRY_MAX_MS)


async def join_call(
    host: str,
    port: int,
    local: NodeIdentity,
    request: dict,
    timeout_ms: int = JOIN_CALL_TIMEOUT_MS,
) -> dict[str, Any]:
    """One node_join request on its own connection: the seed's JSON answer."""
    _, meta = await one_shot(
        host,
        port,
        local,
        (Method.node_join, json.dumps(request).encode()),
        timeout_ms=timeout_ms,
    )
    answer = json.loads(meta or b"null")
    if not isinstance(answer, dict):
        raise ValueError("node_join answer is not an object")
    return answer


# ---- the seed side -------------------------------------------------------------------------------
class JoinHandler:
    """Method.node_join on every node: register the joiner through the controller."""

    def __init__(self, controller: Controller) -> None:
        self.controller = controller

    async def handle(self, meta: bytes, blob: Buffer) -> tuple[bytes, bytes]:
        if len(meta) > MAX_REQUEST_BYTES:
            raise ValueError(f"node_join request of {len(meta)} bytes")
        request = json.loads(meta)
        node_uuid = str(uuid.UUID(str(request["uuid"])))
        wanted = request.get("node_id")
        payload = {
            "node_id": None if wanted is None else int(wanted),
            "uuid": node_uuid,
            "kafka_host": str(request["kafka_host"]),
            "kafka_port": int(request["kafka_port"]),
            "rpc_host": str(request["rpc_host"]),
            "rpc_port": int(request["rpc_port"]),
            "rack": request.get("rack"),
        }
        members = self.controller.members
        known = members.by_uuid(node_uuid)
        if known is None or (wanted is not None and known.node_id != wanted):
            try:
                await self.controller.submit("register_node", payload)
            except ClusterError as exc:
                raise RpcUnavailable(f"register_node: {exc}") from None  # the joiner retries
        member = members.by_uuid(node_uuid)
        if member is None or (wanted is not None and member.node_id != wanted):
            holder = members.get(int(wanted)) if wanted is not None else None
            reason = f"node {wanted} is {holder.uuid if holder else 'not available'}"
            log.warning("node_join refused for %s: %s", node_uuid, reason)
            return json.dumps({"error": reason}).encode(), b""
        answer = {
            "node_id": member.node_id,
            "cluster_uuid": members.cluster_uuid,
            "controller_voters": self.controller.consensus.voters,
            "members": [
                {
                    "node_id": m.node_id,
                    "uuid": m.uuid,
                    "rpc_host": m.rpc_host,
                    "rpc_port": m.rpc_port,
                }
                for m in members.all()
            ],
        }
        log.info("node %s (%s) joins the cluster", member.node_id, node_uuid)
        return json.dumps(answer).encode(), b""


class ControllerVoters:
    """On the controller leader: every member becomes a voter of the controller group, and a
    member removed (decommissioned) while this node runs stops being one (joint consensus,
    one change at a time; looked at on every member or leadership change and every
    `RECHECK_S`)."""

    RECHECK_S = 5.0

    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._removed: set[int] = set()
        controller.members.subscribe(self._on_member)
        controller.consensus.add_leader_listener(lambda _term, _leader: self._wake.set())

    def _on_member(self, event: str, member: Any) -> None:
        if event == "removed":
            self._removed.add(member.node_id)
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
            self._wake.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def goal(self) -> list[int] | None:
        """The controller voters to move to, or None when they are right (or a change runs)."""
        consensus = self.controller.consensus
        if consensus.config_state != "stable":
            return None
        voters = list(consensus.voters)
        keep = [v for v in voters if v not in self._removed]
        add = [n for n in self.controller.members.node_ids() if n not in voters]
        goal = keep + [n for n in add if n not in self._removed]
        return goal if goal and set(goal) != set(voters) else None

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.RECHECK_S)
            except TimeoutError:
                pass
            self._wake.clear()
            consensus = self.controller.consensus
            goal = self.goal() if consensus.is_leader else None
            if goal is None:
                continue
            try:
                await consensus.change_voters(goal, timeout_ms=CHANGE_TIMEOUT_MS)
                log.info("controller voters now %s", goal)
            except (RaftError, ValueError) as exc:
                log.info("controller voters %s: %s (retrying)", goal, exc)
                await asyncio.sleep(CHANGE_RETRY_S)
                self._wake.set()
