"""Transaction markers to partitions led by another broker: broker RPC method 21.

Request meta: JSON `{"topic", "partition", "producer_id", "producer_epoch", "commit",
"coordinator_epoch"}`, no blob. Response meta: JSON `{"error": Kafka error code}` once the
receiver wrote the marker (as leader, through `Partition.write_txn_marker`) or refused it
(NOT_LEADER_OR_FOLLOWER when it does not lead the partition: the sender looks again).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from kio.schema.errors import ErrorCode

from core.rpc.client import PeerClients

TXN_MARKER_METHOD = 21
MARKER_CALL_TIMEOUT_MS = 10_000
MAX_REQUEST_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class MarkerRequest:
    topic: str
    partition: int
    producer_id: int
    producer_epoch: int
    commit: bool
    coordinator_epoch: int

    def encode(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def decode(cls, meta: bytes) -> MarkerRequest:
        if len(meta) > MAX_REQUEST_BYTES:
            raise ValueError(f"marker request of {len(meta)} bytes")
        body = json.loads(meta)
        return cls(
            str(body["topic"]),
            int(body["partition"]),
            int(body["producer_id"]),
            int(body["producer_epoch"]),
            bool(body["commit"]),
            int(body["coordinator_epoch"]),
        )


LocalWrite = Callable[[MarkerRequest], Awaitable[ErrorCode]]


def server_handler(write_local: LocalWrite):
    """The RPC handler: decode, write here, answer the error code."""

    async def handle(meta: bytes, _blob) -> tuple[bytes, bytes]:
        try:
            request = MarkerRequest.decode(bytes(meta))
        except (ValueError, KeyError, TypeError):
            return json.dumps({"error": int(ErrorCode.invalid_request)}).encode(), b""
        error = await write_local(request)
        return json.dumps({"error": int(error)}).encode(), b""

    return handle


async def send(peers: PeerClients, node_id: int, request: MarkerRequest) -> ErrorCode:
    """Ask `node_id` to write the marker; raises RpcError when it cannot be reached."""
    meta, _ = await peers.get(node_id).call(
        TXN_MARKER_METHOD, request.encode(), timeout_ms=MARKER_CALL_TIMEOUT_MS
    )
    try:
        return ErrorCode(int(json.loads(bytes(meta))["error"]))
    except (ValueError, KeyError, TypeError):
        return ErrorCode.unknown_server_error
