"""ConfigDriver: the part of Consensus (core.raft.consensus) that changes a group's members
(core.raft.config: learners, then the joint configuration, then the new one).

    await consensus.change_voters([1, 2, 3], timeout_ms=30_000)   # leader only
    consensus.cancel_change()        # back to the old voters while learners / joint
    consensus.force_voters([1])      # unsafe local override (a group that lost its majority)
    consensus.voters, consensus.learners, consensus.config_state

change_voters returns once C(new) committed (a leader left out of it steps down then, and
its call still succeeds). It raises RaftError with not_leader (this replica stops leading
first: the change goes on under the next leader, which finishes a joint configuration it
finds in its log; call again there), timeout (the change goes on; call again or cancel),
config_in_progress (another change is under way) or config_cancelled. A group on a node
that does not host it yet gets nothing until it exists: the leader keeps probing it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from core.raft.errors import RaftErrc, RaftError
from core.raft.raft import RaftCore
from core.raft.types import Config

# change_voters calls waiting (bounded by the callers: one per partition move in flight)
ConfigWaiter = tuple[tuple[int, ...], asyncio.Future]


class ConfigDriver:
    core: RaftCore | None
    _closed: bool
    _config_waiters: list[ConfigWaiter]
    _ticker: asyncio.Task | None
    _external_ticks: bool
    _own_ticks: bool

    def _process(self) -> None:
        raise NotImplementedError

    async def _tick_loop(self) -> None:
        raise NotImplementedError

    def _ensure_ticks(self) -> None:
        """A group of several members is ticked: by RaftGroups' ticker if it registered as
        one, else (single-voter at register, grown since by a membership change) by a timer
        task of its own."""
        core = self.core
        if self._ticker is not None or self._closed or core is None:
            return
        if len(core.membership.members) < 2 and core.forced is None:
            return
        if self._external_ticks and not self._own_ticks:
            return
        self._ticker = asyncio.get_running_loop().create_task(self._tick_loop())

    # ---- queries -------------------------------------------------------------------------------------
    @property
    def configuration(self) -> Config | None:
        return self.core.membership if self.core is not None else None

    @property
    def learners(self) -> list[int]:
        return list(self.core.membership.learners) if self.core is not None else []

    @property
    def config_state(self) -> str:
        """ "stable", "learners" (new nodes catching up) or "joint" (C(old, new))."""
        return self.core.membership.state if self.core is not None else "stable"

    # ---- changes -------------------------------------------------------------------------------------
    async def change_voters(self, new_voters: Iterable[int], *, timeout_ms: int) -> None:
        core = self._leader_core()
        goal = tuple(dict.fromkeys(int(n) for n in new_voters))
        if not goal:
            raise ValueError("a group needs at least one voter")
        if not core.propose_config(goal):
            raise RaftError(RaftErrc.config_in_progress, f"moving to {core.membership}")
        fut = asyncio.get_running_loop().create_future()
        waiter = (goal, fut)
        self._config_waiters.append(waiter)
        self._process()
        try:
            await asyncio.wait_for(asyncio.shield(fut), timeout_ms / 1000)
        except TimeoutError:
            raise RaftError(RaftErrc.timeout, f"membership change to {list(goal)}") from None
        finally:
            if waiter in self._config_waiters:
                self._config_waiters.remove(waiter)

    def cancel_change(self) -> bool:
        """Back to the old voters while the change is learners or joint (False: nothing to
        cancel). Leader only."""
        core = self._leader_core()
        cancelled = core.cancel_config()
        self._process()
        return cancelled

    def force_voters(self, voters: Iterable[int]) -> None:
        """UNSAFE: this replica takes `voters` as its configuration at once, outside the log
        (persisted), and campaigns under it; as leader it writes it to the log. For a group
        that lost its majority for good (force-cancel of a move): entries only the lost
        replicas held are lost. Any replica, leader or not."""
        core = self.core
        if core is None or self._closed:
            raise RaftError(RaftErrc.shutting_down)
        nodes = tuple(dict.fromkeys(int(n) for n in voters))
        if not nodes:
            raise ValueError("a group needs at least one voter")
        core.force_config(nodes)
        self._process()

    def _leader_core(self) -> RaftCore:
        core = self.core
        if core is None or self._closed or not core.is_leader:
            raise RaftError(RaftErrc.not_leader)
        return core

    def _settle_config_waiters(self) -> None:
        """After each step: succeed, or fail, the change_voters calls that are decided."""
        core = self.core
        if not self._config_waiters or core is None:
            return
        done = core.config_done
        for goal, fut in list(self._config_waiters):
            if fut.done():
                continue
            if done is not None and done.state == "stable" and set(done.voters) == set(goal):
                fut.set_result(None)
            elif not core.is_leader:
                fut.set_exception(RaftError(RaftErrc.not_leader))
            elif self._cancelled(core, goal):
                fut.set_exception(RaftError(RaftErrc.config_cancelled))

    @staticmethod
    def _cancelled(core: RaftCore, goal: tuple[int, ...]) -> bool:
        done = core.config_done
        return (
            core.config_goal is None
            and core.membership.state == "stable"
            and done is core.membership
            and set(done.voters) != set(goal)
        )

    def _fail_config_waiters(self, errc: RaftErrc) -> None:
        for _, fut in self._config_waiters:
            if not fut.done():
                fut.set_exception(RaftError(errc))
