"""Forwarding controller commands to the leader: Method.controller_submit.

Request meta: JSON `{"type": command type, "payload": command payload}`, no blob.
Response meta: JSON `{"offset": o, "term": t}` once the leader appended the command (the
submitter then waits until its own apply passes `o` with term `t`), or
`{"error": "not_leader", "leader": id | null}` when the receiver does not lead (the
submitter retries at the leader it names, or at whichever it learns next).
The server side is `Controller.handle_submit`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.rpc.client import PeerClients
from core.rpc.frame import Method

DEFAULT_FORWARD_TIMEOUT_MS = 5_000
MAX_REQUEST_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class SubmitRequest:
    command_type: str
    payload: dict

    def encode(self) -> bytes:
        return json.dumps({"type": self.command_type, "payload": self.payload}).encode()

    @classmethod
    def decode(cls, meta: bytes) -> SubmitRequest:
        if len(meta) > MAX_REQUEST_BYTES:
            raise ValueError(f"controller command of {len(meta)} bytes")
        body = json.loads(meta)
        if not isinstance(body, dict) or not isinstance(body.get("payload"), dict):
            raise ValueError("a controller command is {type, payload}")
        return cls(str(body["type"]), body["payload"])


class NotLeaderAnswer(Exception):
    """The node asked does not lead the controller (it may name the one that does)."""

    def __init__(self, leader: int | None) -> None:
        super().__init__(f"not the controller leader (leader: {leader})")
        self.leader = leader


def appended_reply(offset: int, term: int) -> bytes:
    return json.dumps({"offset": offset, "term": term}).encode()


def not_leader_reply(leader: int | None) -> bytes:
    return json.dumps({"error": "not_leader", "leader": leader}).encode()


class Forwarder:
    """Sends a command to the controller leader over RPC."""

    def __init__(self, peers: PeerClients, timeout_ms: int = DEFAULT_FORWARD_TIMEOUT_MS) -> None:
        self.peers = peers
        self.timeout_ms = timeout_ms

    async def forward(self, leader: int, request: SubmitRequest) -> tuple[int, int]:
        """(offset, term) the leader appended the command at; raises RpcError or
        NotLeaderAnswer."""
        meta, _ = await self.peers.get(leader).call(
            Method.controller_submit, request.encode(), timeout_ms=self.timeout_ms
        )
        reply = json.loads(bytes(meta))
        if "error" in reply:
            raise NotLeaderAnswer(reply.get("leader"))
        return int(reply["offset"]), int(reply["term"])
