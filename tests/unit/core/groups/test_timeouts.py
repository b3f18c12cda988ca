"""Session, rebalance and sync deadlines, driven by a ManualClock."""

from __future__ import annotations

from kio.schema.errors import ErrorCode as E


def _leader_and_follower(results):
    leader = next(r for r in results if r.member_id == r.leader_id)
    return leader, next(r for r in results if r is not leader)


def test_silent_member_expires_after_its_session_timeout(harness):
    results = harness.stable_group(2, session_ms=10_000)
    leader, follower = _leader_and_follower(results)
    for _ in range(3):  # the leader heartbeats; the follower has crashed
        harness.advance(4_000)
        harness.heartbeat(leader.member_id, leader.generation_id)
    assert harness.state() == "PreparingRebalance"
    assert harness.heartbeat(follower.member_id, follower.generation_id) is E.unknown_member_id
    rejoin = harness.join(leader.member_id)
    assert rejoin.done and rejoin.value.generation_id == leader.generation_id + 1
    assert [m.member_id for m in rejoin.value.members] == [leader.member_id]


def test_heartbeats_keep_a_member_alive_past_many_session_timeouts(harness):
    (only,) = harness.stable_group(1, session_ms=5_000)
    for _ in range(20):
        harness.advance(4_000)
        assert harness.heartbeat(only.member_id, only.generation_id) is E.none
    assert harness.state() == "Stable"


def test_heartbeat_just_after_expiry_is_unknown_member(harness):
    (only,) = harness.stable_group(1, session_ms=5_000)
    harness.advance(4_999)
    assert harness.state() == "Stable"
    harness.advance(1)
    assert harness.state() == "Empty"
    assert harness.heartbeat(only.member_id, only.generation_id) is E.unknown_member_id
    assert harness.mgr.describe("g").members == ()


def test_member_that_does_not_rejoin_is_dropped_at_the_rebalance_timeout(harness):
    results = harness.stable_group(2, session_ms=30_000, rebalance_ms=8_000)
    leader, follower = _leader_and_follower(results)
    waiting = harness.join(leader.member_id, session_ms=30_000, rebalance_ms=8_000)
    assert not waiting.done
    harness.advance(7_999)
    assert not waiting.done
    harness.advance(1)
    assert waiting.done and waiting.value.error is E.none
    assert [m.member_id for m in waiting.value.members] == [leader.member_id]
    assert harness.heartbeat(follower.member_id, follower.generation_id) is E.unknown_member_id


def test_leader_that_never_syncs_is_removed_and_followers_told_to_rejoin(harness):
    results = harness.stable_group(3, session_ms=30_000, rebalance_ms=6_000)
    leader, _ = _leader_and_follower(results)
    followers = [r for r in results if r is not leader]
    harness.join(leader.member_id, session_ms=30_000, rebalance_ms=6_000)
    rejoins = [harness.join(f.member_id, session_ms=30_000, rebalance_ms=6_000) for f in followers]
    assert all(w.done for w in rejoins)
    generation = rejoins[0].value.generation_id
    syncs = [harness.sync(f.member_id, generation) for f in followers]
    assert not any(s.done for s in syncs)
    for _ in range(2):  # followers heartbeat while they wait for the leader
        harness.advance(2_900)
        assert all(harness.heartbeat(f.member_id, generation) is E.none for f in followers)
    harness.advance(200)
    assert all(s.done and s.value.error is E.rebalance_in_progress for s in syncs)
    assert harness.state() == "PreparingRebalance"
    summary = harness.mgr.describe("g")
    assert leader.member_id not in {m.member_id for m in summary.members}
    again = [harness.join(f.member_id, session_ms=30_000, rebalance_ms=6_000) for f in followers]
    assert all(w.done and w.value.generation_id == generation + 1 for w in again)
    assert again[0].value.leader_id in {f.member_id for f in followers}


def test_pending_member_that_never_returns_is_forgotten(harness):
    first = harness.join(session_ms=5_000)
    member_id = first.value.member_id
    assert harness.mgr.groups["g"].pending_members == {member_id}
    harness.advance(5_000)
    assert harness.mgr.groups["g"].pending_members == set()
    assert harness.join(member_id, session_ms=5_000).value.error is E.unknown_member_id


def test_pending_member_holds_the_rebalance_until_it_joins_or_expires(harness):
    (a,) = harness.stable_group(1, session_ms=5_000, rebalance_ms=20_000)
    first = harness.join(client_id="b", session_ms=5_000)
    assert first.value.error is E.member_id_required
    rejoin = harness.join(a.member_id, session_ms=5_000, rebalance_ms=20_000)
    assert not rejoin.done  # b's id was handed out; wait for b
    harness.advance(5_000)  # b never came back: its pending slot expires
    assert rejoin.done and rejoin.value.generation_id == a.generation_id + 1


def test_new_member_join_timeout_bounds_a_join_that_never_completes(make_harness):
    h = make_harness(group_new_member_join_timeout_ms=5_000)
    results = h.stable_group(1, session_ms=20_000, rebalance_ms=60_000)
    waiter = h.join_new(client_id="late", session_ms=20_000, rebalance_ms=60_000)
    assert h.state() == "PreparingRebalance" and not waiter.done
    for _ in range(4):
        h.advance(4_000)
        assert (
            h.heartbeat(results[0].member_id, results[0].generation_id) is E.rebalance_in_progress
        )
    assert waiter.done and waiter.value.error is E.unknown_member_id
