"""Producer-id allocation: blocks of ids reserved through the controller log."""

from __future__ import annotations

import asyncio

from core.cluster.controller import Controller

BLOCK_SIZE = 1000


class ProducerIdAllocator:
    def __init__(self, controller: Controller) -> None:
        self._controller = controller
        self._reserved_end = 0  # from the log: every id below it has been handed to some block
        self._next = 0
        self._block_end = 0
        self._lock = asyncio.Lock()
        controller.register("allocate_producer_ids", self._apply)

    def _apply(self, payload: dict) -> None:
        self._reserved_end = max(self._reserved_end, payload["end"])

    async def allocate(self) -> int:
        async with self._lock:
            if self._next >= self._block_end:
                start = self._reserved_end
                await self._controller.submit(
                    "allocate_producer_ids", {"start": start, "end": start + BLOCK_SIZE}
                )
                self._next, self._block_end = start, start + BLOCK_SIZE
            pid = self._next
            self._next += 1
            return pid
