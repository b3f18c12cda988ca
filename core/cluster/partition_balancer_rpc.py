"""The partition balancer's status from the controller leader (Redpanda's partition_balancer_rpc
`overview`): broker RPC method 22.

GET /v1/cluster/partition_balancer/status is the leader's answer, whichever node is asked:
the leader answers from its own last tick (the violations it plans moves from); another node
forwards the request to the leader it knows (the controller's forwarding peers) and answers
with the leader's body. A receiver that no longer leads names the leader it knows, and the
request follows that hint once more, within the same `timeout_ms`.

Request meta: JSON `{}`, no blob. Response meta: JSON `{"overview": {...}}` (the leader's
PartitionBalancer.overview()), or `{"error": "not_leader", "leader": id | null}`.

Errors, as Redpanda's admin server maps them: no leader known, 503 "Service unavailable
(Currently there is no leader controller elected in the cluster)"; the leader unreachable
(refused, connection lost, no address, not serving the method yet), 503 "Not ready: ...";
no answer within `timeout_ms`, 504 "Timeout: ...".

    serve(rpc_server, balancer)                  # once, at start (core.app)
    body = await leader_overview(balancer)       # any node; raises StatusUnavailable
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from core.cluster.controller_rpc import NotLeaderAnswer, not_leader_reply
from core.rpc.errors import RpcError, RpcStatusError, RpcTimeout
from core.rpc.frame import Buffer, Status

PARTITION_BALANCER_METHOD = 22
STATUS_TIMEOUT_MS = 5_000  # Redpanda's 5 s for the proxied overview call
MAX_HOPS = 2  # the leader we know, then the one it names
MAX_REQUEST_BYTES = 1024
NO_LEADER = "Currently there is no leader controller elected in the cluster"


class StatusUnavailable(Exception):
    """The leader's status could not be had: `http_status` (503, 504) and its message."""

    def __init__(self, http_status: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.message = message


def serve(rpc_server: Any, balancer: Any) -> None:
    """Answer other nodes' status requests (method 22) from `balancer` (PartitionBalancer)."""

    async def handle(meta: bytes, _blob: Buffer) -> tuple[bytes, bytes]:
        if len(meta) > MAX_REQUEST_BYTES:
            raise ValueError(f"balancer status request of {len(meta)} bytes")
        controller = balancer.controller
        if not controller.is_leader:
            return not_leader_reply(controller.leader_id), b""
        return json.dumps({"overview": balancer.overview()}).encode(), b""

    rpc_server.register(PARTITION_BALANCER_METHOD, handle)


async def leader_overview(balancer: Any, timeout_ms: int = STATUS_TIMEOUT_MS) -> dict:
    """The controller leader's overview: this node's own when it leads, else the leader's over
    RPC. Raises StatusUnavailable (no leader, leader unreachable or silent for `timeout_ms`)."""
    controller = balancer.controller
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_ms / 1000
    leader = controller.leader_id
    asked: set[int] = set()
    for _ in range(MAX_HOPS):
        if controller.is_leader:
            return balancer.overview()
        if leader is None or leader == controller.node_id or leader in asked:
            break
        asked.add(leader)
        remaining_ms = int((deadline - loop.time()) * 1000)
        if remaining_ms <= 0:
            raise StatusUnavailable(504, f"Timeout: no answer from node {leader}")
        try:
            return await _ask(controller, leader, remaining_ms)
        except NotLeaderAnswer as exc:
            leader = exc.leader
    if controller.is_leader:  # elected while the last hop was answered
        return balancer.overview()
    raise StatusUnavailable(503, f"Service unavailable ({NO_LEADER})")


async def _ask(controller: Any, leader: int, timeout_ms: int) -> dict:
    forwarder = controller.forwarder
    if forwarder is None:  # a cluster of one has no peers
        raise StatusUnavailable(503, f"Not ready: no connection to node {leader}")
    try:
        meta, _ = await forwarder.peers.get(leader).call(
            PARTITION_BALANCER_METHOD, b"{}", timeout_ms=timeout_ms
        )
    except RpcTimeout as exc:
        raise StatusUnavailable(504, f"Timeout: {exc}") from None
    except RpcStatusError as exc:
        code = 504 if exc.status == Status.timeout else 503
        word = "Timeout" if code == 504 else "Not ready"
        raise StatusUnavailable(code, f"{word}: node {leader}: {exc}") from None
    except RpcError as exc:
        raise StatusUnavailable(503, f"Not ready: node {leader}: {exc}") from None
    reply = json.loads(bytes(meta))
    if "overview" not in reply:
        raise NotLeaderAnswer(reply.get("leader"))
    return dict(reply["overview"])
