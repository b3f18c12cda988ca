"""The hello exchange that opens every RPC connection, and the node identities it checks.

The dialing node sends Method.hello with its (node id, node UUID, cluster id); the
listening node answers with its own, or with Status.refused and a reason, then closes.
A node is (node id, UUID): a wiped node comes back with a new UUID and cannot pass as
its old self. `IdentityBook` remembers the UUID of every node id it has met (or was told
by the controller); a different UUID for a known node id is refused, by either side.
A cluster id of all zeros means "not known yet" (a node joining through its seeds) and
matches any; two known cluster ids must be equal.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from core.rpc.frame import FrameError

_HELLO = struct.Struct("<i16s16s")
NO_CLUSTER = uuid.UUID(int=0)


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    node_id: int
    node_uuid: uuid.UUID
    cluster_id: uuid.UUID = NO_CLUSTER

    def encode(self) -> bytes:
        return _HELLO.pack(self.node_id, self.node_uuid.bytes, self.cluster_id.bytes)

    @classmethod
    def decode(cls, meta: bytes) -> NodeIdentity:
        if len(meta) != _HELLO.size:
            raise FrameError(f"hello of {len(meta)} bytes, expected {_HELLO.size}")
        node_id, node_uuid, cluster_id = _HELLO.unpack(meta)
        return cls(node_id, uuid.UUID(bytes=node_uuid), uuid.UUID(bytes=cluster_id))


class IdentityBook:
    """node id -> UUID, first seen wins (bounded by the number of nodes in the cluster)."""

    MAX_NODES = 10_000

    def __init__(self, local: NodeIdentity) -> None:
        self.local = local
        self._uuids: dict[int, uuid.UUID] = {local.node_id: local.node_uuid}

    def known(self, node_id: int) -> uuid.UUID | None:
        return self._uuids.get(node_id)

    def set(self, node_id: int, node_uuid: uuid.UUID) -> None:
        """What the controller says node `node_id` is (replaces what was seen before)."""
        self._uuids[node_id] = node_uuid

    def forget(self, node_id: int) -> None:
        if node_id != self.local.node_id:
            self._uuids.pop(node_id, None)

    def check(self, peer: NodeIdentity) -> str | None:
        """None if `peer` may talk to us (and remember it), else the reason it may not."""
        if not clusters_match(self.local.cluster_id, peer.cluster_id):
            return f"cluster id {peer.cluster_id} is not ours ({self.local.cluster_id})"
        known = self._uuids.get(peer.node_id)
        if known is not None and known != peer.node_uuid:
            return f"node {peer.node_id} is {known}, not {peer.node_uuid}"
        if known is None:
            if len(self._uuids) >= self.MAX_NODES:
                return f"more than {self.MAX_NODES} nodes"
            self._uuids[peer.node_id] = peer.node_uuid
        return None


def clusters_match(a: uuid.UUID, b: uuid.UUID) -> bool:
    return a == NO_CLUSTER or b == NO_CLUSTER or a == b
