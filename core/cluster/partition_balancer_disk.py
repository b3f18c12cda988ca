"""Disk fullness for the partition balancer (core.cluster.partition_balancer).

Each node looks at its data directory's file system every `interval_ms` and, when its used
share crosses `partition_autobalancing_max_disk_usage_percent` (as this node's cluster
configuration says: a node-local override applies to that node), submits the controller
command `node_disk_full {node_id, full}`. Only changes are submitted (one command per
crossing, with one percent of hysteresis on the way down), so the controller log stays quiet;
every node applies it into `DiskTable.full`, which the balancer's leader reads wherever it is.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.cluster.errors import ClusterError

log = logging.getLogger("ailurus.balancer")

CHECK_INTERVAL_MS = 2_000
DEFAULT_MAX_PERCENT = 80
HYSTERESIS_PERCENT = 1.0


class DiskTable:
    """Nodes over the disk limit (applied from `node_disk_full`)."""

    def __init__(self) -> None:
        self.full: set[int] = set()

    def apply(self, payload: dict) -> None:
        node_id = int(payload["node_id"])
        if bool(payload["full"]):
            if node_id not in self.full:
                log.info("node %d is over the disk usage limit", node_id)
            self.full.add(node_id)
        else:
            self.full.discard(node_id)

    def forget(self, node_id: int) -> None:
        self.full.discard(node_id)


def used_percent(path: Path) -> float:
    usage = shutil.disk_usage(path)
    return 100.0 * (usage.total - usage.free) / usage.total if usage.total else 0.0


class DiskWatcher:
    """This node's side: report a crossing of the limit to the controller."""

    def __init__(
        self,
        controller: Any,
        table: DiskTable,
        data_dir: Path,
        config: Callable[[str], Any],
        interval_ms: int = CHECK_INTERVAL_MS,
    ) -> None:
        self.controller = controller
        self.table = table
        self.data_dir = data_dir
        self.config = config
        self.interval_ms = interval_ms
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="disk-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _limit(self) -> float:
        try:
            value = self.config("partition_autobalancing_max_disk_usage_percent")
        except KeyError:
            value = None
        return float(DEFAULT_MAX_PERCENT if value is None else value)

    def wants_full(self, used: float, was_full: bool) -> bool:
        limit = self._limit()
        return used > limit - HYSTERESIS_PERCENT if was_full else used > limit

    async def _run(self) -> None:
        node_id = self.controller.node_id
        while True:
            await asyncio.sleep(self.interval_ms / 1000)
            was_full = node_id in self.table.full
            try:
                full = self.wants_full(used_percent(self.data_dir), was_full)
            except OSError as exc:
                log.warning("disk usage of %s: %s", self.data_dir, exc)
                continue
            if full == was_full:
                continue
            try:
                await self.controller.submit("node_disk_full", {"node_id": node_id, "full": full})
            except ClusterError as exc:
                log.info("node_disk_full: %s (next check)", exc)
