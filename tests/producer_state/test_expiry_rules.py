"""Expiry on the log's clock (core.cluster.producer_table): replicas that apply the same
batches forget the same producers at the same offsets, whatever their wall clocks, also when
one restarts from a snapshot or installs the leader's snapshot midway."""

from __future__ import annotations

import random

from core.cluster import producer_snapshot as ps
from core.cluster.producer_table import ProducerLimits, ProducerStateTable
from core.model.control import Marker

MINUTE_MS = 60_000


def history(seed: int) -> list[tuple]:
    rng = random.Random(seed)
    out, clock = [], 1_000_000_000
    for offset in range(400):
        clock += rng.choice((0, 1000, 20_000, 3 * MINUTE_MS))
        pid = rng.randrange(12)
        kind = rng.choice(("data", "data", "txn", "commit", "abort"))
        out.append((offset, pid, kind, clock + rng.randrange(-5000, 5000)))
    return out


def apply(table: ProducerStateTable, event: tuple) -> None:
    offset, pid, kind, ts = event
    if kind in ("commit", "abort"):
        table.end_txn(pid, 0, Marker(kind == "commit", 0), offset, ts)
    else:
        seq = offset  # a fresh sequence each time: the window content does not matter here
        table.add(pid, 0, (seq, seq, offset, offset), ts)
        if kind == "txn":
            table.ongoing.open(pid, offset)


def state(table: ProducerStateTable) -> list:
    return [(pid, e.epoch, list(e.batches), e.last_timestamp) for pid, e in table.entries()]


def test_replicas_agree_after_restarts_and_installs():
    for seed in range(20):
        events = history(seed)
        limits = ProducerLimits(expiration_ms=5 * MINUTE_MS, max_producers=8)
        leader = ProducerStateTable(limits)
        follower = ProducerStateTable(limits)
        restarted = ProducerStateTable(limits)
        expired_somewhere = False
        for i, event in enumerate(events):
            for table in (leader, follower, restarted):
                before = {pid for pid, _ in table.entries()}
                apply(table, event)
                expired_somewhere |= bool(before - {pid for pid, _ in table.entries()})
            if i % 97 == 0:  # a restart from the persisted form
                restarted = ProducerStateTable(limits)
                restarted.load(follower.snapshot())
            if i % 131 == 0:  # the leader's snapshot installed
                follower = ps.decode(ps.encode(leader, []), limits).table
            assert state(leader) == state(follower) == state(restarted), (seed, i)
            horizon = leader.clock_ms - limits.expiration_ms - limits.sweep_period_ms
            for pid, entry in leader.entries():  # nobody idle past a sweep stays, but T's
                assert pid in leader.ongoing or pid == event[1] or entry.last_timestamp > horizon
            assert all(pid in {p for p, _ in leader.entries()} for pid, _ in leader.ongoing.items())
        assert expired_somewhere, seed
