"""A Journal kept in memory: for a broker without storage (dev mode) and for tests.

Records are kept per partition in append order, as `__consumer_offsets` would
hold them, and can be replayed into a fresh GroupManager. With
`auto_resolve=False` writes stay in flight until `settle()`, which lets a test
put a rebalance or a commit between a write and its acknowledgement, or fail it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kio.schema.errors import ErrorCode

from core.groups.completion import Completion
from core.groups.offsets import KV

if TYPE_CHECKING:
    from core.groups.manager import GroupManager

IN_FLIGHT_MAX = 100_000


class MemoryJournal:
    def __init__(self, *, auto_resolve: bool = True) -> None:
        self.auto_resolve = auto_resolve
        self.log: dict[int, list[KV]] = {}
        self._in_flight: list[tuple[int, list[KV], Completion[ErrorCode]]] = []

    def append(
        self, partition: int, records: list[KV], producer: tuple[int, int] | None = None
    ) -> Completion[ErrorCode]:
        assert records, "an append carries at least one record"
        completion: Completion[ErrorCode] = Completion()
        if self.auto_resolve:
            self.log.setdefault(partition, []).extend(records)
            completion.resolve(ErrorCode.none)
        else:
            assert len(self._in_flight) < IN_FLIGHT_MAX, "too many writes in flight"
            self._in_flight.append((partition, records, completion))
        return completion

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def settle(self, count: int | None = None, error: ErrorCode = ErrorCode.none) -> int:
        """Finish the oldest `count` writes (all when None), stored unless `error`."""
        n = len(self._in_flight) if count is None else min(count, len(self._in_flight))
        done, self._in_flight = self._in_flight[:n], self._in_flight[n:]
        for partition, records, completion in done:
            if error is ErrorCode.none:
                self.log.setdefault(partition, []).extend(records)
            completion.resolve(error)
        return n

    def records(self, partition: int) -> list[KV]:
        return list(self.log.get(partition, []))

    def load_into(self, manager: GroupManager) -> GroupManager:
        """Replay every partition's stored records into `manager`, which then owns them."""
        for partition in range(manager.partitions):
            load = manager.begin_load(partition)
            for key, value in self.log.get(partition, []):
                load.apply(key, value)
            manager.finish_load(load)
        return manager
