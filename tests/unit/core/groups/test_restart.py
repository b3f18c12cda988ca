"""A coordinator replaying __consumer_offsets picks up where the last one stopped."""

from __future__ import annotations

from kio.schema.errors import ErrorCode as E

from core.groups.results import LeaveRequestMember


def test_stable_group_comes_back_stable_and_members_carry_on(harness):
    results = harness.stable_group(2, session_ms=10_000)
    before = {m.member_id: m.assignment for m in harness.mgr.describe("g").members}
    harness.restart()
    summary = harness.mgr.describe("g")
    assert summary.state == "Stable" and summary.protocol_name == "range"
    assert {m.member_id: m.assignment for m in summary.members} == before
    for r in results:
        assert harness.heartbeat(r.member_id, r.generation_id) is E.none
        synced = harness.sync(r.member_id, r.generation_id)
        assert synced.value.error is E.none and synced.value.assignment == before[r.member_id]


def test_members_that_do_not_return_after_a_restart_expire(harness):
    harness.stable_group(2, session_ms=10_000)
    harness.restart()
    harness.advance(10_000)
    assert harness.state() == "Empty"
    assert harness.mgr.describe("g").members == ()


def test_static_member_restarts_across_a_coordinator_restart(harness):
    first = harness.join(instance="s", client_id="s").value
    harness.sync(first.member_id, first.generation_id, {first.member_id: b"mine"}, instance="s")
    harness.restart()
    again = harness.join(instance="s", client_id="s")
    assert again.value.error is E.none and again.value.generation_id == first.generation_id
    synced = harness.sync(again.value.member_id, first.generation_id, instance="s")
    assert synced.value.assignment == b"mine"


def test_generation_continues_after_restart(harness):
    (only,) = harness.stable_group(1)
    harness.mgr.leave("g", [LeaveRequestMember(only.member_id)])
    assert harness.state() == "Empty"
    harness.restart()
    again = harness.join_new()
    assert again.value.generation_id == only.generation_id + 2  # Empty generation, then this one
