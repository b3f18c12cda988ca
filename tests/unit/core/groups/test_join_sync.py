"""JoinGroup/SyncGroup through the core with a ManualClock."""

from __future__ import annotations

from kio.schema.errors import ErrorCode as E

from tests.support.groups import assignment, subscription


def test_member_id_required_handshake_then_single_member_becomes_stable(harness):
    first = harness.join()
    assert first.done and first.value.error is E.member_id_required
    member_id = first.value.member_id
    assert member_id.startswith("client-")
    assert harness.state() == "Empty"  # a pending member does not start a rebalance

    joined = harness.join(member_id)
    assert joined.done
    result = joined.value
    assert (result.error, result.generation_id, result.leader_id) == (E.none, 1, member_id)
    assert result.protocol_name == "range" and [m.member_id for m in result.members] == [member_id]
    assert harness.state() == "CompletingRebalance"

    synced = harness.sync(member_id, 1, {member_id: b"plan"})
    assert synced.done and synced.value.error is E.none and synced.value.assignment == b"plan"
    assert harness.state() == "Stable"
    assert harness.heartbeat(member_id, 1) is E.none


def test_old_join_versions_skip_the_handshake(harness):
    joined = harness.join(require_known=False)
    assert joined.done and joined.value.error is E.none and joined.value.generation_id == 1


def test_leader_gets_member_metadata_and_followers_get_none(harness):
    results = harness.stable_group(3)
    leader_id = results[0].leader_id
    by_id = {r.member_id: r for r in results}
    assert len(by_id[leader_id].members) == 3
    assert all(not r.members for r in results if r.member_id != leader_id)
    assert {m.metadata for m in by_id[leader_id].members} == {subscription("t")}
    assert all(r.generation_id == results[0].generation_id for r in results)


def test_followers_wait_for_the_leaders_sync(harness):
    a = harness.join_new(client_id="a").value
    b_wait = harness.join_new(client_id="b")
    assert not b_wait.done  # the group is rebalancing: a must rejoin
    a2 = harness.join(a.member_id).value
    b = b_wait.value
    assert a2.generation_id == b.generation_id == 2
    follower = b if a2.leader_id == a2.member_id else a2
    leader = a2 if follower is b else b
    follower_sync = harness.sync(follower.member_id, 2)
    assert not follower_sync.done
    harness.sync(leader.member_id, 2, {follower.member_id: b"F", leader.member_id: b"L"})
    assert follower_sync.done and follower_sync.value.assignment == b"F"


def test_protocol_selection_prefers_the_common_favourite(harness):
    a = harness.join_new(client_id="a", protocols=[("roundrobin", b"a1"), ("range", b"a2")])
    b = harness.join_new(client_id="b", protocols=[("range", b"b1"), ("roundrobin", b"b2")])
    c = harness.join_new(client_id="c", protocols=[("range", b"c1")])
    harness.join(a.value.member_id, protocols=[("roundrobin", b"a1"), ("range", b"a2")])
    results = [w.value for w in (b, c)]
    assert all(r.protocol_name == "range" for r in results)


def test_inconsistent_protocols_are_refused(harness):
    harness.stable_group(1)
    other = harness.join(protocols=[("sticky", b"x")])
    assert other.value.error is E.inconsistent_group_protocol
    wrong_type = harness.join(protocol_type="connect")
    assert wrong_type.value.error is E.inconsistent_group_protocol


def test_first_member_needs_a_protocol_type_and_protocols(harness):
    assert harness.join(protocol_type="").value.error is E.inconsistent_group_protocol
    from core.groups.membership import JoinParams

    empty = harness.mgr.join(JoinParams("g", "", "consumer", [], 10_000, 20_000))
    assert empty.value.error is E.inconsistent_group_protocol


def test_session_timeout_bounds(harness):
    assert harness.join(session_ms=500).value.error is E.invalid_session_timeout
    assert harness.join(session_ms=120_000).value.error is E.invalid_session_timeout


def test_unknown_member_and_invalid_group(harness):
    assert harness.join("nobody").value.error is E.unknown_member_id
    assert harness.join(group="").value.error is E.invalid_group_id
    assert harness.heartbeat("nobody", 1) is E.unknown_member_id
    assert harness.sync("nobody", 1).value.error is E.unknown_member_id


def test_follower_rejoin_in_stable_keeps_the_generation_and_leader_rejoin_rebalances(harness):
    results = harness.stable_group(2)
    leader = next(r for r in results if r.member_id == r.leader_id)
    follower = next(r for r in results if r is not leader)
    again = harness.join(follower.member_id)
    assert again.done and again.value.generation_id == follower.generation_id
    assert harness.state() == "Stable"
    harness.join(leader.member_id)
    assert harness.state() == "PreparingRebalance"
    assert harness.heartbeat(follower.member_id, follower.generation_id) is E.rebalance_in_progress


def test_sync_with_the_wrong_protocol_name_is_refused(harness):
    from core.groups.membership import SyncParams

    (only,) = harness.stable_group(1)
    result = harness.mgr.sync(
        SyncParams("g", only.generation_id, only.member_id, {}, None, "consumer", "roundrobin")
    )
    assert result.value.error is E.inconsistent_group_protocol


def test_initial_rebalance_delay_collects_members_and_extends(make_harness):
    h = make_harness(group_initial_rebalance_delay_ms=3_000)
    a = h.join_new(client_id="a", rebalance_ms=20_000)
    h.advance(2_000)
    b = h.join_new(client_id="b", rebalance_ms=20_000)
    h.advance(1_000)  # first delay over, but b arrived during it: wait another delay
    assert not a.done and not b.done
    h.advance(3_000)
    assert a.done and b.done
    assert a.value.generation_id == b.value.generation_id == 1
    assert len([r for r in (a.value, b.value) if r.members]) == 1


def test_group_size_is_bounded(make_harness):
    h = make_harness(group_max_size=2)
    h.join()
    h.join()
    assert h.join().value.error is E.group_max_size_reached


def test_retried_join_answers_the_superseded_request(harness):
    results = harness.stable_group(2)
    leader = next(r for r in results if r.member_id == r.leader_id)
    first = harness.join(leader.member_id)
    second = harness.join(leader.member_id)
    assert first.done and first.value.error is E.rebalance_in_progress
    assert not second.done


def test_assignments_for_non_members_are_dropped_and_missing_members_get_empty(harness):
    results = harness.stable_group(2)
    leader = next(r for r in results if r.member_id == r.leader_id)
    follower = next(r for r in results if r is not leader)
    harness.join(leader.member_id)
    rejoined = harness.join(follower.member_id)
    generation = rejoined.value.generation_id
    follower_sync = harness.sync(follower.member_id, generation)
    harness.sync(
        leader.member_id, generation, {leader.member_id: assignment([("t", 0)]), "ghost": b"x"}
    )
    assert follower_sync.value.error is E.none and follower_sync.value.assignment == b""
    summary = harness.mgr.describe("g")
    assert {m.member_id for m in summary.members} == {leader.member_id, follower.member_id}
    assert all(m.assignment != b"x" for m in summary.members)
