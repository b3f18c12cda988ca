"""The controller: a Raft group whose log holds cluster metadata commands.

Commands (topic changes, cluster configuration, users, producer-id blocks) are
replicated with acks=all into `<data>/redpanda/controller/0_0`, and applied in log
order, at startup by replaying the log and at runtime once committed. A caller of
`submit` returns only after its command has been applied locally.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable

from core.cluster.topic_table import TopicTable
from core.model.records import Record, build_batch, iter_batches
from core.raft.consensus import QUORUM_ACK, Consensus

log = logging.getLogger("ailurus.controller")

CONTROLLER_GROUP_ID = 0
REPLAY_CHUNK_BYTES = 1024 * 1024
MAX_PENDING_COMMANDS = 10_000

Applier = Callable[[dict], None]


class Controller:
    def __init__(self, consensus: Consensus, log_) -> None:
        self.consensus = consensus
        self._log = log_
        self.topics = TopicTable()
        self._appliers: dict[str, Callable[[dict, int], None]] = {
            "create_topic": self.topics.apply_create,
            "delete_topic": self.topics.apply_delete,
            "create_partitions": self.topics.apply_create_partitions,
            "update_topic_config": self.topics.apply_update_config,
        }
        self._pending: deque[tuple[int, str, dict]] = deque()
        self.last_applied = -1
        self.started = False

    @property
    def leader_id(self) -> int | None:
        return self.consensus.leader_id

    def register(self, command_type: str, apply_fn: Applier) -> None:
        """Route committed commands of `command_type` to `apply_fn` (register before start)."""
        assert not self.started, "register appliers before the controller replays its log"
        assert command_type not in self._appliers, f"{command_type} already has an applier"
        self._appliers[command_type] = lambda payload, _offset: apply_fn(payload)

    def register_with_offset(
        self, command_type: str, apply_fn: Callable[[dict, int], None]
    ) -> None:
        assert not self.started
        self._appliers[command_type] = apply_fn

    def start(self) -> None:
        self.consensus.start()
        self._replay()
        self.started = True

    def close(self) -> None:
        """Stop its Raft group (the log is closed by whoever opened it)."""
        self.consensus.close()

    def _replay(self) -> None:
        offset = self._log.start_offset
        end = self.consensus.commit_offset
        count = 0
        while offset < end:
            chunk = self._log.read_bytes(offset, REPLAY_CHUNK_BYTES, end)
            if not chunk:
                break
            for header, records in iter_batches(chunk):
                for record in records:
                    self._apply(record, header.base_offset)
                    count += 1
                offset = header.last_offset + 1
        log.info("controller replayed %d commands up to offset %d", count, end)

    def _apply(self, record: Record, offset: int) -> None:
        command_type = (record.key or b"").decode()
        payload = json.loads(record.value or b"{}")
        fn = self._appliers.get(command_type)
        if fn is None:
            log.warning("controller: no applier for command %r at offset %d", command_type, offset)
        else:
            fn(payload, offset)
        self.last_applied = offset

    async def submit(self, command_type: str, payload: dict) -> int:
        """Replicate a command, wait until it is committed and applied; returns its offset."""
        assert command_type in self._appliers, f"unknown controller command {command_type}"
        if len(self._pending) >= MAX_PENDING_COMMANDS:
            raise RuntimeError("controller command queue is full")
        record = Record(key=command_type.encode(), value=json.dumps(payload).encode())
        batch = build_batch([record], timestamp_ms=None)
        appended = self.consensus.replicate(batch, QUORUM_ACK)
        self._pending.append((appended.base_offset, command_type, payload))
        if appended.done is not None:
            await appended.done
        self._apply_committed()
        return appended.base_offset

    def _apply_committed(self) -> None:
        commit = self.consensus.commit_offset
        while self._pending and self._pending[0][0] < commit:
            offset, command_type, payload = self._pending.popleft()
            self._appliers[command_type](payload, offset)
            self.last_applied = offset
