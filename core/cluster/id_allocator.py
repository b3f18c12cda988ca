"""Producer-id allocation: blocks of ids reserved through the controller log.

A node asks for a block with `allocate_producer_ids {count, node_id}`; the block's start is
decided at apply, from the log's reserved end at that point, identically on every node, so
two nodes allocating at once never get overlapping blocks. The submitter finds its block by
the offset its command was applied at. Older logs hold `{start, end}` blocks chosen by the
submitter; they only move the reserved end.
"""

from __future__ import annotations

import asyncio

from core.cluster.controller import Controller

BLOCK_SIZE = 1000
MAX_UNCLAIMED_BLOCKS = 64  # blocks this node's own commands got and no caller claimed (yet)


class ProducerIdAllocator:
    def __init__(self, controller: Controller) -> None:
        self._controller = controller
        self._node_id = controller.node_id
        self._reserved_end = 0  # from the log: every id below it has been handed to some block
        self._blocks: dict[int, tuple[int, int]] = {}  # offset -> this node's block there
        self._next = 0
        self._block_end = 0
        self._lock = asyncio.Lock()
        controller.register_with_offset("allocate_producer_ids", self._apply)
        controller.register_state(
            "producer_ids",
            commands=("allocate_producer_ids",),
            snapshot=self.snapshot,
            restore=self.restore,
        )

    @property
    def reserved_end(self) -> int:
        return self._reserved_end

    def _apply(self, payload: dict, offset: int) -> None:
        if "count" not in payload:  # an older log's block, chosen by its submitter
            self._reserved_end = max(self._reserved_end, payload["end"])
            return
        start = self._reserved_end
        self._reserved_end = start + int(payload["count"])
        if payload.get("node_id") == self._node_id:
            if len(self._blocks) >= MAX_UNCLAIMED_BLOCKS:
                self._blocks.pop(next(iter(self._blocks)))
            self._blocks[offset] = (start, self._reserved_end)

    def snapshot(self) -> dict:
        """The reserved end (blocks this node's pending commands got are not kept: after a
        restart no caller waits for them)."""
        return {"reserved_end": self._reserved_end}

    def restore(self, state: dict) -> None:
        self._reserved_end = int(state["reserved_end"])

    def claim(self, offset: int) -> tuple[int, int] | None:
        """The block (start, end) this node's command applied at `offset` got, once."""
        return self._blocks.pop(offset, None)

    async def allocate(self) -> int:
        async with self._lock:
            if self._next >= self._block_end:
                offset = await self._controller.submit(
                    "allocate_producer_ids", {"count": BLOCK_SIZE, "node_id": self._node_id}
                )
                block = self.claim(offset)
                assert block is not None, f"allocate_producer_ids at {offset} gave no block"
                self._next, self._block_end = block
            pid = self._next
            self._next += 1
            return pid
