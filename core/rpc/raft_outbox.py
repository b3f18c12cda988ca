"""Outbox: what one node has pending for one peer in raft_batch frames (core.rpc.raft_batch,
sent by core.cluster.raft_groups): every group's messages in order, light heartbeats, their
acks and nacks, and the count of frames in flight to that peer."""

from __future__ import annotations

from core.raft.types import AppendRequest, Message

MESSAGE_OVERHEAD_BYTES = 64  # estimate of one message's meta, for frame splitting


class Outbox:
    __slots__ = ("messages", "nbytes", "light", "acks", "nacks", "in_flight")

    def __init__(self) -> None:
        self.messages: list[tuple[int, Message]] = []  # (group id, message)
        self.nbytes = 0
        self.light: dict[int, int] = {}  # group -> term
        self.acks: dict[int, int] = {}  # group -> term
        self.nacks: set[int] = set()
        self.in_flight = 0

    @property
    def pending(self) -> bool:
        return bool(self.messages or self.light or self.acks or self.nacks)

    def add(self, group_id: int, msg: Message) -> None:
        self.messages.append((group_id, msg))
        self.nbytes += message_size(msg)

    def take(
        self, max_frame_bytes: int
    ) -> tuple[list[tuple[int, Message]], list[int], list[int], list[int]]:
        """One frame's worth: (messages up to `max_frame_bytes`, at least one; light heartbeats
        and acks as flat [group, term, ...] lists; nacks), removed from the outbox."""
        if self.nbytes <= max_frame_bytes:
            messages, self.messages, self.nbytes = self.messages, [], 0
        else:
            size = n = 0
            while n < len(self.messages) and (n == 0 or size <= max_frame_bytes):
                size += message_size(self.messages[n][1])
                n += 1
            messages, self.messages = self.messages[:n], self.messages[n:]
            self.nbytes -= size
        light = [x for pair in self.light.items() for x in pair]
        acks = [x for pair in self.acks.items() for x in pair]
        nacks = list(self.nacks)
        self.light, self.acks, self.nacks = {}, {}, set()
        return messages, light, acks, nacks


def message_size(msg: Message) -> int:
    if isinstance(msg, AppendRequest) and (msg.entries or msg.snapshot_state):
        return (
            MESSAGE_OVERHEAD_BYTES
            + sum(memoryview(e.payload).nbytes for e in msg.entries if not e.is_meta)
            + len(msg.snapshot_state)
        )
    return MESSAGE_OVERHEAD_BYTES
