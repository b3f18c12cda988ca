"""GroupTicker: the timers of many Raft groups on one ticker (core.cluster.raft_groups).

Each group has one entry in a heap, keyed by when its timer (election, heartbeat, quorum
check, transfer) is next due. A tick pops the due entries only: a group whose timer moved
later meanwhile (a follower hearing its leader resets its election timer on every
heartbeat) is pushed back at its new time, the others are ticked and pushed at their next
time. So an idle follower costs a heap operation per election timeout instead of a check
per tick, and a leader one per heartbeat. A timer that moves *earlier* (a group that just
became leader must heartbeat within heartbeat_interval_ms) is rescheduled by `wake`, which
Consensus calls on every leadership change. An election fires at most one election timeout
after the group last heard its leader (the entry it waits on was set by an earlier reset).

At most `max_elections` groups campaign at once: a group whose election timer fires while
that many campaign waits `retry_ms` (delaying an election is always safe). Without the
bound, 1,000 groups electing at once on a busy node took longer than their election
timeouts, restarted, and never settled (bench/raft_heartbeat.py, 3 nodes in one process).
"""

from __future__ import annotations

import heapq
import logging
from typing import Protocol

log = logging.getLogger("ailurus.raft")


class Timed(Protocol):
    group_id: int

    @property
    def next_timer_ms(self) -> int: ...

    @property
    def is_leader(self) -> bool: ...

    @property
    def campaigning(self) -> bool: ...

    def tick(self, now_ms: int | None = None) -> None: ...


class GroupTicker:
    def __init__(self, max_elections: int, retry_ms: int) -> None:
        self.max_elections = max_elections
        self.retry_ms = retry_ms
        self.groups: dict[int, Timed] = {}
        self.ticked = 0
        self.elections_deferred = 0
        self._heap: list[tuple[int, int]] = []  # (due ms, group id)
        self._due: dict[int, int] = {}  # group id -> the due time of its live heap entry
        self._campaigning: set[int] = set()

    def add(self, group: Timed) -> None:
        self.groups[group.group_id] = group
        self._schedule(group.group_id, group.next_timer_ms)

    def remove(self, group_id: int) -> None:
        self.groups.pop(group_id, None)
        self._due.pop(group_id, None)  # its heap entry is now stale
        self._campaigning.discard(group_id)

    def wake(self, group_id: int) -> None:
        """The group's timer may have moved earlier: schedule it at its current time."""
        group = self.groups.get(group_id)
        if group is not None:
            due = group.next_timer_ms
            if due < self._due.get(group_id, due + 1):
                self._schedule(group_id, due)

    def _schedule(self, group_id: int, due: int) -> None:
        self._due[group_id] = due
        heapq.heappush(self._heap, (due, group_id))

    def tick(self, now_ms: int) -> None:
        """Tick every group whose timer is due at `now_ms`."""
        heap, due_of, groups = self._heap, self._due, self.groups
        self._campaigning = {
            g for g in self._campaigning if (c := groups.get(g)) is not None and c.campaigning
        }
        while heap and heap[0][0] <= now_ms:
            due, group_id = heapq.heappop(heap)
            if due_of.get(group_id) != due:
                continue  # stale: removed, or rescheduled since
            group = groups[group_id]
            actual = group.next_timer_ms
            if actual > now_ms:
                self._schedule(group_id, actual)  # moved later meanwhile
                continue
            self._run(group_id, group, now_ms)

    def _run(self, group_id: int, group: Timed, now_ms: int) -> None:
        election = not group.is_leader and group_id not in self._campaigning
        if election and len(self._campaigning) >= self.max_elections:
            self.elections_deferred += 1
            self._schedule(group_id, now_ms + self.retry_ms)
            return
        try:
            group.tick(now_ms)
        except Exception:  # noqa: BLE001 - one group's failure must not stop the others
            log.exception("raft group %d: tick failed", group_id)
        self.ticked += 1
        if election and group.campaigning:
            self._campaigning.add(group_id)
        if group_id in self.groups:
            self._schedule(group_id, max(group.next_timer_ms, now_ms + 1))
