"""Producer-id blocks decided at apply (core.cluster.id_allocator) on a real single-node
controller: blocks follow each other in log order, an older log's submitter-chosen block
still moves the reserved end, and a restart replays the reserved end."""

from __future__ import annotations

import asyncio

from core.cluster.controller import Controller
from core.cluster.id_allocator import BLOCK_SIZE, ProducerIdAllocator
from core.common.clock import SystemClock
from core.raft.consensus import Consensus
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig


async def _run(directory, body):
    flusher = GroupCommit()
    flusher.start()
    log = DiskLog.open(directory, LogConfig(), SystemClock())
    controller = Controller(Consensus(0, 0, log, flusher), log)
    allocator = ProducerIdAllocator(controller)
    controller.start()
    try:
        return await body(controller, allocator)
    finally:
        controller.close()
        await flusher.stop()
        log.close()


async def test_blocks_follow_each_other_and_survive_a_restart(tmp_path):
    async def first(controller, allocator):
        # an older log's block, chosen by its submitter
        await controller.submit("allocate_producer_ids", {"start": 0, "end": 5_000})
        pid = await allocator.allocate()
        assert pid == 5_000 and await allocator.allocate() == 5_001
        # another node's request applied meanwhile takes the next block
        await controller.submit("allocate_producer_ids", {"count": BLOCK_SIZE, "node_id": 9})
        assert allocator.reserved_end == 5_000 + 2 * BLOCK_SIZE
        return pid

    await _run(tmp_path / "c", first)

    async def again(controller, allocator):
        assert allocator.reserved_end == 5_000 + 2 * BLOCK_SIZE
        return await allocator.allocate()

    assert await _run(tmp_path / "c", again) == 5_000 + 2 * BLOCK_SIZE


async def test_concurrent_allocations_share_one_block(tmp_path):
    async def body(controller, allocator):
        return await asyncio.gather(*(allocator.allocate() for _ in range(10)))

    assert await _run(tmp_path / "c", body) == list(range(10))
