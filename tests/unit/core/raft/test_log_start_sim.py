"""The seeded Raft simulation (tests/sim/raft) with DeleteRecords: leaders propose new log
starts at random committed batch boundaries among the usual faults (drops, duplicates,
reordering, partitions, crashes losing unflushed data, transfers). Besides the simulation's
invariants: a replica applies a start only at or below its commit, the start a client sees
(from a serving leader, fenced by term) never goes back, followers behind a leader's start
catch up by snapshot with the same log after it, and once healed every replica starts
where the leader does. Reproduce with SIM_SEED=<seed>; more seeds with SIM_SEEDS=<n>."""

from __future__ import annotations

import bisect
import os
import random

from core.raft.raft import RaftCore
from core.raft.types import Entry, Ready
from tests.sim.raft.test_raft_simulation import STEPS, chaos_step, settle
from tests.sim.raft.test_raft_simulation import World as NewsWorld
from tests.support.raft_sim import SimNode, check

if "SIM_SEED" in os.environ:
    SEEDS = [int(os.environ["SIM_SEED"])]
else:
    SEEDS = list(range(int(os.environ.get("SIM_SEEDS", "200"))))


class StartNode(SimNode):
    """A SimNode whose log starts at `start` (entries below it are gone)."""

    start: int = 0
    base_chain: int = 0  # the chain hash of the prefix ending at `start`

    @property
    def end(self) -> int:
        return self.ends[-1] if self.ends else self.start

    def chain_at(self, offset: int) -> int | None:
        if offset == self.start:
            return self.base_chain
        if offset < self.start:
            return None
        return super().chain_at(offset)

    def read(self, offset: int, max_bytes: int) -> list[Entry]:
        check(offset >= self.start, f"node {self.node_id} read {offset} below {self.start}")
        return super().read(offset, max_bytes)


class World(NewsWorld):
    def __init__(self, seed: int, nodes: int, *, crashes: bool, relaxed: bool) -> None:
        super().__init__(seed, nodes, crashes=crashes, relaxed=relaxed)
        self.shown: tuple[int, int] = (-1, 0)  # (leader term, start) seen by clients
        self.starts_applied = 0
        self.snapshots = 0

    def _boot(self, node_id: int, old: SimNode | None) -> SimNode:
        base = super()._boot(node_id, old)
        node = StartNode(
            node_id, base.core, base.data, base.ends, base.chain, base.durable, base.hard
        )
        if isinstance(old, StartNode):
            node.start, node.base_chain = old.start, old.base_chain
            node.durable = max(node.durable, node.start)
        node.core = RaftCore.create(
            node_id,
            self.ids,
            node.hard,
            start_offset=node.start,
            next_offset=node.end,
            flushed_offset=node.end,
            now_ms=self.now_ms,
            rng=random.Random(self.rng.random()),
            reader=node.read,
            config=self.config,
        )
        return node

    def _apply(self, node: SimNode, ready: Ready) -> None:
        if ready.start_to is None:
            super()._apply(node, ready)
            return
        start_to, ready.start_to = ready.start_to, None
        # the driver applies it after the appends, before the messages
        messages, ready.messages = ready.messages, []
        committed, ready.committed = ready.committed, None
        super()._apply(node, ready)
        self._apply_start(node, start_to)
        ready.messages, ready.committed = messages, committed
        for msg in messages:
            self.send(msg)
        if committed is not None:
            self._on_commit(node, committed)
        # (commit news of this Ready was handled by super()._apply above)

    def _check_new_leader(self, node: SimNode) -> None:
        """As the simulation's, except for what lies below the leader's start (deleted;
        `_apply_start` checked the start is a boundary of the one log)."""
        assert isinstance(node, StartNode)
        term = node.core.term
        check(self.leaders.setdefault(term, node.node_id) == node.node_id, f"two leaders in {term}")
        for end, chain in (self.acked, (self.commit_max, self.committed.get(self.commit_max, 0))):
            if end >= node.start:
                check(node.chain_at(end) == chain, f"leader {node.node_id} of {term} lacks {end}")

    def _store(self, node: SimNode, entries: list[Entry]) -> None:
        """As the simulation's, with the hash chain continuing from the log start."""
        assert isinstance(node, StartNode)
        for e in entries:
            check(e.base == node.end, f"gap at node {node.node_id}: {e} after {node.end}")
            prev = node.chain[-1] if node.chain else node.base_chain
            h = hash((prev, e.term, e.base, e.last, e.payload))
            node.data.append(e)
            node.ends.append(e.last + 1)
            node.chain.append(h)
            known = self.chains.setdefault((e.last + 1, e.term), h)
            check(known == h, f"log matching: node {node.node_id} differs at {e}")

    def _apply_start(self, node: SimNode, offset: int) -> None:
        assert isinstance(node, StartNode)
        core = node.core
        check(offset > node.start, f"node {node.node_id}: start {offset} not forward")
        check(offset <= self.commit_max, f"node {node.node_id}: start {offset} uncommitted")
        if offset > node.end:  # a snapshot: the log was emptied at its old start
            check(not node.ends, f"node {node.node_id}: snapshot over a non-empty log")
            self.snapshots += 1
        term = core.log.term_of_offset(offset - 1)
        chain = node.chain_at(offset) if offset <= node.end else None
        known = self.chains.get((offset, term)) if offset > 0 else 0
        check(known is not None, f"start {offset} (term {term}) is no batch boundary")
        check(chain is None or chain == known, f"node {node.node_id}: start on another log")
        keep = bisect.bisect_right(node.ends, offset)
        node.data, node.ends, node.chain = node.data[keep:], node.ends[keep:], node.chain[keep:]
        node.start, node.base_chain = offset, known  # type: ignore[assignment]
        node.durable = max(node.durable, offset)
        self.starts_applied += 1

    def propose_start(self) -> None:
        leader = self.leader()
        if leader is None:
            return
        core = leader.core
        boundaries = [e for e in leader.ends if core.log.start_offset < e <= core.commit]
        if boundaries:
            core.propose_start(self.rng.choice(boundaries))
            self.process(leader)

    def check_all(self) -> None:
        super().check_all()
        for node in self.nodes.values():
            core = node.core
            if node.alive and core.serving:
                seen = (core.term, core.log.start_offset)
                if seen[0] >= self.shown[0]:
                    check(seen[1] >= self.shown[1], f"log start went back: {seen} < {self.shown}")
                    self.shown = seen


def run(seed: int) -> World:
    nodes = 3 if seed % 2 == 0 else 5
    world = World(seed, nodes, crashes=seed % 3 != 0, relaxed=seed % 3 == 0)
    try:
        for _ in range(STEPS):
            if world.rng.random() < 0.3:
                world.propose_start()
            chaos_step(world)
        settle(world)
        world.propose_start()
        world.advance(3000)
        leader = world.leader()
        assert leader is not None
        starts = {n.node_id: n.core.log.start_offset for n in world.nodes.values()}
        check(set(starts.values()) == {leader.core.log.start_offset}, f"starts differ: {starts}")
    except AssertionError as exc:
        raise AssertionError(f"log start simulation failed: SIM_SEED={seed}: {exc}") from exc
    return world


def test_log_start_simulation() -> None:
    applied = snapshots = 0
    for seed in SEEDS:
        world = run(seed)
        applied += world.starts_applied
        snapshots += world.snapshots
    assert applied > len(SEEDS)
    assert snapshots > 0 or len(SEEDS) < 20
