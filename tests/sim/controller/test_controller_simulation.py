"""Seeded simulation of the clustered controller (tests/sim/controller/world.py): three
nodes (five for a quarter of the seeds), a lossy reordering network with partitions, crashes that lose unflushed data,
leaders killed right after a create was submitted; commands submitted through any node.

Checked: nodes that applied the same log prefix hold identical tables (after every step);
after healing every node applies the same log and holds the same tables; every topic name
exists once, created by the first create_topic committed for it (its topic id, its
revision), or not at all when none committed; a submitter told "ok" finds its own topic
id unless its command was applied after another creation of the name; producer-id blocks
never overlap; every node is a member; a restarted node restores its latest controller
snapshot (usable, and equal to the state at its offset) and replays only what follows.
Reproduce a failure with the seed it prints:
    SIM_SEED=<seed> pytest tests/sim/controller
Run more seeds with SIM_SEEDS=<n> (default 100).
"""

from __future__ import annotations

import json
import os

import pytest

from core.model.records import iter_batches
from tests.sim.controller.world import InvariantError, World, check

STEPS = 80
SETTLE_MS = 40_000
NAMES = tuple(f"topic-{i}" for i in range(10))
if "SIM_SEED" in os.environ:
    SEEDS = [int(os.environ["SIM_SEED"])]
else:
    # plus seeds that once failed: 1214 (two submitters on one node waiting for offset 5, of
    # terms 0 and 1: the second wait failed the first; and a newer term starting at the
    # offset was taken for loss though its entries were replaced by the awaited one)
    SEEDS = sorted({*range(int(os.environ.get("SIM_SEEDS", "100"))), 575, 1214})


def submit_random(world: World) -> None:
    rng = world.rng
    via = rng.choice(world.ids)
    roll = rng.random()
    if roll < 0.55:
        n = rng.choice([1, 3])
        world.submit(
            via,
            "create_topic",
            {
                "name": rng.choice(NAMES),
                "topic_id": f"id-{len(world.requests)}",
                "partitions": n,
                "replication_factor": 3,
                "configs": {},
                "assignments": [rng.sample(world.ids, 3) for _ in range(n)],
            },
        )
    elif roll < 0.8:
        world.submit(via, "allocate_producer_ids", {"count": 1000, "node_id": via})
    else:
        world.submit(
            via, "bootstrap_cluster", {"cluster_uuid": f"c-{via}", "founders": list(world.ids)}
        )


def chaos_step(world: World) -> None:
    rng = world.rng
    roll = rng.random()
    if roll < 0.4:
        submit_random(world)
        world.advance(rng.choice([0, 1, 5, 30]))
    elif roll < 0.7:
        world.advance(rng.choice([10, 100, 400, 1500]))
    elif roll < 0.78:
        world.partition(set(rng.sample(world.ids, rng.randint(1, len(world.ids) // 2))))
    elif roll < 0.84:
        world.heal()
    elif roll < 0.92:
        node = world.nodes[rng.choice(world.ids)]
        if node.alive:
            world.crash(node.node_id)
        else:
            world.restart(node.node_id)
    else:  # kill the leader right after a create reached it
        leader = world.leader()
        if leader is not None:
            submit_random(world)
            world.advance(rng.choice([0, 2, 10]))
            world.crash(leader.node_id)


def register_everyone(world: World) -> None:
    for i in world.ids:
        world.submit(
            i,
            "register_node",
            {
                "node_id": i,
                "uuid": f"u{i}",
                "kafka_host": "h",
                "kafka_port": 9092 + i,
                "rpc_host": "h",
                "rpc_port": 33145 + i,
                "rack": None,
            },
        )


def settle(world: World) -> None:
    world.heal()
    world.drop_rate = 0.0
    for node in world.nodes.values():
        if not node.alive:
            world.restart(node.node_id)
    register_everyone(world)
    deadline = world.now_ms + SETTLE_MS
    while not _settled(world):
        check(world.now_ms <= deadline, "no common applied state after healing")
        world.advance(100)


def _settled(world: World) -> bool:
    leader = world.leader()
    if leader is None or any(r.outcome is None for r in world.requests):
        return False
    end = leader.end
    return all(
        n.core.commit == end and world.replicas[i].controller.last_applied == end - 1
        for i, n in world.nodes.items()
    )


def committed_commands(world: World) -> list[tuple[int, str, dict]]:
    leader = world.leader()
    assert leader is not None
    chunk = world.replicas[leader.node_id].log.read_bytes(0, 1 << 30, leader.core.commit)
    return [
        (h.base_offset, (r.key or b"").decode(), json.loads(r.value or b"{}"))
        for h, records in iter_batches(chunk)
        for r in records
    ]


def check_outcome(world: World) -> None:
    fingerprints = {i: repr(r.controller.topics.topics) for i, r in world.replicas.items()}
    check(len(set(fingerprints.values())) == 1, "nodes hold different topic tables")
    commands = committed_commands(world)
    table = world.replicas[0].controller.topics
    for name in NAMES:
        creates = [(o, p) for o, c, p in commands if c == "create_topic" and p["name"] == name]
        meta = table.get(name)
        if not creates:
            check(meta is None, f"{name} exists without a committed create")
            continue
        first_offset, first = creates[0]
        check(meta is not None, f"{name} was committed but does not exist")
        assert meta is not None
        check(meta.topic_id == first["topic_id"], f"{name}: not the first create's topic id")
        check(meta.partition_revisions[0] == first_offset, f"{name}: wrong revision")
        check(meta.assignments == [tuple(a) for a in first["assignments"]], f"{name}: replicas")
    for req in world.requests:
        if req.command != "create_topic" or req.outcome != "ok":
            continue
        meta = table.get(req.payload["name"])
        check(meta is not None, f"acknowledged create of {req.payload['name']} lost")
        assert meta is not None and req.offset is not None
        if meta.topic_id != req.payload["topic_id"]:
            check(req.offset > meta.partition_revisions[0], "an ok create lost to a later one")
    blocks = sorted(world.blocks)
    for (_, end), (start, _) in zip(blocks, blocks[1:], strict=False):
        check(end <= start, f"producer-id blocks overlap: {blocks}")
    leader = world.leader()
    assert leader is not None
    chunk = world.replicas[leader.node_id].log.read_bytes(0, 1 << 30, leader.core.commit)
    terms = {h.base_offset: h.leader_epoch for h, _ in iter_batches(chunk)}
    for offset, term in world.lost:  # declared lost, resubmitted: never committed after all
        check(terms.get(offset) != term, f"offset {offset} of term {term} lost yet committed")
    members = world.replicas[0].controller.members
    check(members.node_ids() == list(world.ids), f"members {members.node_ids()}")
    check(
        members.cluster_uuid is not None
        or not any(c == "bootstrap_cluster" for _, c, _ in commands),
        "bootstrap not applied",
    )


def run(seed: int) -> World:
    world = World(seed, nodes=5 if seed % 4 == 3 else 3)
    try:
        register_everyone(world)
        for _ in range(STEPS):
            chaos_step(world)
        settle(world)
        check_outcome(world)
    except InvariantError as e:
        raise AssertionError(
            f"seed {seed} at {world.now_ms} ms: {e}\n  reproduce: SIM_SEED={seed} "
            "pytest tests/sim/controller"
        ) from None
    return world


@pytest.mark.parametrize("seed", SEEDS)
async def test_controller_simulation(seed):
    """(async only for an event loop: Controller's waiters are asyncio futures.)"""
    run(seed)


async def test_restarts_restore_snapshots():
    """The snapshot path is exercised: across 20 seeds restarted nodes restore snapshots."""
    assert sum(run(seed).restores for seed in range(20)) >= 5
