"""Leadership pieces without processes: the balancer's plan, the maintenance table's rules,
and Raft's reaction to an unreachable leader (the seeded simulation world of
tests/support/raft_sim: a crashed leader's followers told it is unreachable elect a new one
within a few heartbeats, not an election timeout; invariants checked every step)."""

from __future__ import annotations

from collections import Counter

import pytest

from core.cluster.leader_balancer import Group, plan
from core.cluster.maintenance import MaintenanceTable
from tests.support.raft_sim import World


def apply(groups: list[Group], moves) -> dict[int, int]:
    led = {g.group_id: g.leader for g in groups}
    for m in moves:
        assert led[m.group_id] == m.source
        led[m.group_id] = m.target
    return led


def test_plan_spreads_nodes_and_topics_preferring_preferred_leaders() -> None:
    groups = [Group(i, "a", (i % 3, (i + 1) % 3, (i + 2) % 3), 0) for i in range(6)]
    groups += [Group(100 + i, "b", (i % 3, (i + 1) % 3, (i + 2) % 3), 1 + i % 2) for i in range(15)]
    led = apply(groups, plan(groups, {0, 1, 2}, set(), 512))
    assert sorted(Counter(led.values()).values()) == [7, 7, 7]
    assert sorted(Counter(led[g.group_id] for g in groups if g.topic == "a").values()) == [2, 2, 2]
    # among equal moves, the partition's preferred leader (its first replica) is taken
    placed = [Group(i, "p", (i % 3, (i + 1) % 3, (i + 2) % 3), 0) for i in range(3)]
    assert apply(placed, plan(placed, {0, 1, 2}, set(), 512)) == {0: 0, 1: 1, 2: 2}


def test_plan_leaves_muted_groups_and_ineligible_nodes_alone() -> None:
    """Groups moved within `leader_balancer_mute_timeout` are muted; at most
    `leader_balancer_transfer_limit_per_shard` transfers per node are planned."""
    groups = [Group(i, "t", (0, 1, 2), 0) for i in range(9)]
    assert plan(groups, {0, 1, 2}, set(range(9)), 512) == []
    moves = plan(groups, {0, 1}, set(), 512)  # node 2 muted (down, maintenance, restarted)
    assert {m.target for m in moves} == {1} and len(moves) == 4
    assert len(plan(groups, {0, 1, 2}, set(), 2)) == 2  # the transfer limit
    single = [Group(i, "t", (0,), 0) for i in range(5)]
    assert plan(single, {0, 1, 2}, set(), 512) == []  # one replica: nowhere to go


class _Members:
    def __init__(self, ids) -> None:
        self.ids = set(ids)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.ids

    def __len__(self) -> int:
        return len(self.ids)


class _Controller:
    def __init__(self, ids) -> None:
        self.members = _Members(ids)
        self.appliers: dict = {}

    def register(self, command: str, fn) -> None:
        self.appliers[command] = fn

    def register_state(self, name: str, **_kw) -> None:
        pass

    async def submit(self, command: str, payload: dict) -> None:
        self.appliers[command](payload)


async def test_maintenance_one_node_at_a_time_and_refusals() -> None:
    table = MaintenanceTable(_Controller([0, 1, 2]))
    seen = []
    table.subscribe(lambda n, on: seen.append((n, on)))
    await table.submit(1, True)
    with pytest.raises(ValueError, match="node 1 already in maintenance mode"):
        await table.submit(2, True)
    table.apply({"node_id": 2, "enabled": True})  # an older log's second node: ignored
    assert table.nodes == {1}
    with pytest.raises(KeyError):
        await table.submit(7, True)
    await table.submit(1, False)
    await table.submit(2, True)
    assert seen == [(1, True), (1, False), (2, True)]
    assert MaintenanceTable(_Controller([0])).nodes == set()
    with pytest.raises(ValueError, match="single node cluster"):
        await MaintenanceTable(_Controller([0])).submit(0, True)
    restored = MaintenanceTable(_Controller([0, 1, 2]))
    restored.restore(table.snapshot())
    assert restored.nodes == {2}


@pytest.mark.parametrize("seed", range(20))
def test_unreachable_leader_is_replaced_within_heartbeats(seed: int) -> None:
    world = World(seed, 3, crashes=False, relaxed=False)
    world.delay_ms, world.drop_rate, world.dup_rate = (1, 5), 0.0, 0.0
    world.advance(5_000)
    old = world.leader()
    assert old is not None
    world.crash(old.core.node_id)
    for node in world.nodes.values():
        if node.alive:
            node.core.set_now(world.now_ms)
            node.core.leader_unreachable(old.core.node_id)
    world.advance(2 * world.config.heartbeat_interval_ms + 100)  # rank 1 campaigns at 2 beats
    new = world.leader()
    assert new is not None and new.core.node_id != old.core.node_id
    assert new.core.term == old.core.term + 1  # no split vote
