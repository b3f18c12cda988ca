"""Seeded simulation of one consumer group under churn, with invariants checked
after every step. Reproduce a failure with the seed it prints:
    SIM_SEED=<seed> pytest tests/sim/groups -k simulation
"""

from __future__ import annotations

import os
import random

import pytest
from kio.schema.errors import ErrorCode as E

from core.common.clock import ManualClock
from core.groups.config import GroupConfig
from core.groups.group import GroupState
from core.groups.manager import GroupManager
from core.groups.memory_journal import MemoryJournal
from tests.support.sim import (
    GROUP,
    PARTITIONS,
    ClientDriver,
    SimClient,
    decode_assignment,
)

STEPS = 600
QUIESCE_STEPS_MAX = 3_000
CLIENTS_MAX = 8  # live at once
INCARNATIONS_MAX = 40
SEEDS = [int(os.environ["SIM_SEED"])] if "SIM_SEED" in os.environ else list(range(40))


class World:
    def __init__(self, seed: int, cooperative: bool) -> None:
        self.rng = random.Random(seed)
        self.clock = ManualClock()
        self.journal = MemoryJournal(auto_resolve=False)
        self.config = GroupConfig(
            group_min_session_timeout_ms=1_000,
            group_initial_rebalance_delay_ms=self.rng.choice([0, 0, 500]),
            group_topic_partitions=3,
            group_new_member_join_timeout_ms=20_000,
            group_max_size=CLIENTS_MAX * 2,
        )
        self.mgr = self.journal.load_into(
            GroupManager(
                clock=self.clock, config=self.config, journal=self.journal, rng=random.Random(seed)
            )
        )
        self.driver = ClientDriver(self.mgr, self.rng, self.clock.monotonic_ms)
        self.cooperative = cooperative
        self.clients: list[SimClient] = []
        self.generations_seen: dict[int, tuple[str, str | None]] = {}
        self.joined_checked = 0
        self.commits: list[tuple[SimClient, object, int, bool]] = []

    def add_client(self) -> None:
        n = len(self.clients)
        static = self.rng.random() < 0.4
        self.clients.append(
            SimClient(
                f"c{n}",
                f"inst-{n}" if static else None,
                self.cooperative,
                session_ms=self.rng.choice([3_000, 6_000]),
                rebalance_ms=self.rng.choice([4_000, 8_000]),
            )
        )

    # ------------------------------------------------------------ chaos

    def chaos_step(self) -> None:
        roll = self.rng.random()
        live = [c for c in self.clients if c.alive]
        can_add = len(live) < CLIENTS_MAX and len(self.clients) < INCARNATIONS_MAX
        if roll < 0.30:
            self.advance(self.rng.randint(0, 1_500))
        elif roll < 0.45:
            self.journal.settle(
                self.rng.randint(1, 3), E.none if self.rng.random() < 0.95 else E.not_coordinator
            )
        elif roll < 0.48 and can_add:
            self.add_client()
        elif roll < 0.495 and live:
            self.driver.leave(self.rng.choice(live))
        elif roll < 0.51 and live:
            self.crash(self.rng.choice(live), restart=can_add)
        elif roll < 0.62 and live:
            self.commit(self.rng.choice(live))
        elif live:
            self.driver.step(self.rng.choice(live))

    def crash(self, c: SimClient, restart: bool) -> None:
        """A dynamic member dies; a static one is restarted, its old process either
        dead or only paused (it comes back as a zombie and must be fenced)."""
        if c.instance_id is None or not restart:
            c.state = "crashed"
            return
        if self.rng.random() < 0.5:
            c.state = "crashed"
        else:
            c.paused_until_ms = self.clock.monotonic_ms() + self.rng.randint(1_000, 10_000)
        self.clients.append(
            SimClient(c.name + "r", c.instance_id, c.cooperative, c.session_ms, c.rebalance_ms)
        )

    def commit(self, c: SimClient) -> None:
        group = self.mgr.groups.get(GROUP)
        valid = (
            group is not None
            and group.has(c.member_id)
            and group.generation == c.generation
            and group.state in (GroupState.STABLE, GroupState.PREPARING_REBALANCE)
        )
        done = self.driver.commit(c, self.clock.monotonic_ms())
        if done is not None:
            self.commits.append((c, done, c.generation, valid))

    def advance(self, ms: int) -> None:
        self.clock.advance(ms)
        self.mgr.tick()

    # ------------------------------------------------------------ invariants

    def check(self) -> None:
        self.mgr.check_invariants()
        group = self.mgr.groups.get(GROUP)
        if group is not None and group.state is GroupState.STABLE:
            owned = [decode_assignment(m.assignment) for m in group.members.values()]
            union = set().union(*owned)
            assert union == set(range(PARTITIONS)), f"stable assignment covers {sorted(union)}"
            assert sum(len(o) for o in owned) == PARTITIONS, "a partition assigned twice"
        for r in self.driver.joined[self.joined_checked :]:
            seen = self.generations_seen.setdefault(r.generation_id, (r.leader_id, r.protocol_name))
            assert seen == (r.leader_id, r.protocol_name) or r.members == (), (r, seen)
            assert r.generation_id >= max(self.generations_seen), "generation went backwards"
        self.joined_checked = len(self.driver.joined)
        for c, done, _, valid in self.commits:
            if done.done and not valid:
                assert all(e is not E.none for _, e in done.value), (
                    f"fenced commit of {c.name} accepted"
                )
        self.commits = [x for x in self.commits if not x[1].done]
        current = [
            c
            for c in self.clients
            if c.state == "stable"
            and group is not None
            and c.generation == group.generation
            and group.state is GroupState.STABLE
            and group.has(c.member_id)
        ]
        for i, a in enumerate(current):
            for b in current[i + 1 :]:
                assert not (a.owned & b.owned), (
                    f"{a.name} and {b.name} both own {a.owned & b.owned}"
                )

    # ------------------------------------------------------------ the end

    def quiesce(self) -> None:
        """No more chaos: live clients behave, writes land. The group must settle."""
        for _ in range(QUIESCE_STEPS_MAX):
            self.journal.settle()
            for c in [c for c in self.clients if c.alive]:
                self.driver.step(c)
            self.journal.settle()
            self.check()
            if self.settled():
                return
            self.advance(200)
        raise AssertionError(f"group did not settle: {self.mgr.groups.get(GROUP)!r}")

    def settled(self) -> bool:
        live = {c.member_id for c in self.clients if c.alive}
        group = self.mgr.groups.get(GROUP)
        if not live:
            return group is None or group.state is GroupState.EMPTY
        clients_stable = all(c.state == "stable" for c in self.clients if c.alive)
        return (
            group is not None
            and group.state is GroupState.STABLE
            and set(group.members) == live
            and clients_stable
            and all(w.done for w in self.driver.waiters)
        )


@pytest.mark.parametrize("cooperative", [False, True], ids=["eager", "cooperative"])
@pytest.mark.parametrize("seed", SEEDS)
def test_group_simulation(seed: int, cooperative: bool) -> None:
    world = World(seed, cooperative)
    try:
        for _ in range(3):
            world.add_client()
        for _ in range(STEPS):
            world.chaos_step()
            world.check()
        world.quiesce()
        world.mgr.check_invariants()
        restarted = world.journal.load_into(
            GroupManager(clock=world.clock, config=world.config, journal=world.journal)
        )
        before = world.mgr.groups.get(GROUP)
        after = restarted.groups.get(GROUP)
        if before is not None and before.state is GroupState.STABLE:
            assert after is not None and after.generation == before.generation
            assert {m: x.assignment for m, x in after.members.items()} == {
                m: x.assignment for m, x in before.members.items()
            }
            assert {tp: e.offset for tp, e in after.offsets.items()} == {
                tp: e.offset for tp, e in before.offsets.items()
            }
    except AssertionError as error:
        raise AssertionError(
            f"simulation failed with SIM_SEED={seed} cooperative={cooperative}: {error}"
        ) from error
