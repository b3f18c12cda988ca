"""KIP-345 static membership: restarts without rebalances, and fencing."""

from __future__ import annotations

from kio.schema.errors import ErrorCode as E

from tests.support.groups import subscription


def _static_group(h, names=("a", "b"), **kwargs):
    waiters = {n: h.join(instance=n, client_id=n, **kwargs) for n in names}  # static: no handshake
    for name, w in waiters.items():
        if w.done:
            waiters[name] = h.join(w.value.member_id, instance=name, client_id=name, **kwargs)
    results = {n: w.value for n, w in waiters.items()}
    assert len({r.generation_id for r in results.values()}) == 1
    leader = next(r for r in results.values() if r.member_id == r.leader_id)
    plan = {r.member_id: f"plan-{n}".encode() for n, r in results.items()}
    for name, r in results.items():
        h.sync(r.member_id, r.generation_id, plan if r is leader else None, instance=name)
    assert h.state() == "Stable"
    return results


def test_restarted_static_member_keeps_its_assignment_without_a_rebalance(harness):
    before = _static_group(harness)
    old = before["b"]
    restarted = harness.join(instance="b", client_id="b")
    assert restarted.done and restarted.value.error is E.none
    new_id = restarted.value.member_id
    assert new_id != old.member_id
    assert restarted.value.generation_id == old.generation_id  # no new generation
    assert harness.state() == "Stable"
    synced = harness.sync(new_id, old.generation_id, instance="b")
    assert synced.value.error is E.none and synced.value.assignment == b"plan-b"
    # the old incarnation is fenced everywhere
    assert harness.heartbeat(old.member_id, old.generation_id, instance="b") is E.fenced_instance_id
    assert (
        harness.sync(old.member_id, old.generation_id, instance="b").value.error
        is E.fenced_instance_id
    )
    assert harness.join(old.member_id, instance="b").value.error is E.fenced_instance_id
    # and the other member never noticed
    assert (
        harness.heartbeat(before["a"].member_id, before["a"].generation_id, instance="a") is E.none
    )


def test_restarted_static_leader_is_not_told_it_leads(harness):
    before = _static_group(harness)
    leader_name = next(n for n, r in before.items() if r.member_id == r.leader_id)
    old_leader = before[leader_name]
    restarted = harness.join(instance=leader_name, client_id=leader_name).value
    assert restarted.leader_id == old_leader.member_id != restarted.member_id
    assert restarted.members == ()  # it must not compute an assignment
    assert harness.mgr.groups["g"].leader_id == restarted.member_id


def test_static_member_that_changes_protocols_triggers_a_rebalance(harness):
    before = _static_group(harness)
    changed = harness.join(
        instance="b", client_id="b", protocols=[("range", subscription("t", "u"))]
    )
    # same protocol name, new subscription: the leader must see it, so the group rebalances
    assert not changed.done
    assert harness.state() == "PreparingRebalance"
    rejoin = harness.join(before["a"].member_id, instance="a")
    assert rejoin.done and changed.done
    assert changed.value.generation_id == before["a"].generation_id + 1


def test_pending_join_of_the_old_incarnation_is_fenced(harness):
    before = _static_group(harness)
    old_b = harness.join(
        before["b"].member_id, instance="b", protocols=[("range", subscription("x"))]
    )
    assert not old_b.done and harness.state() == "PreparingRebalance"
    new_b = harness.join(instance="b", client_id="b")
    assert old_b.done and old_b.value.error is E.fenced_instance_id
    assert not new_b.done
    harness.join(before["a"].member_id, instance="a")
    assert new_b.done and new_b.value.error is E.none
    assert new_b.value.generation_id == before["a"].generation_id + 1


def test_absent_static_member_is_kept_at_the_join_deadline_but_dropped_if_it_never_syncs(harness):
    timeouts = {"session_ms": 60_000, "rebalance_ms": 5_000}
    before = _static_group(harness, **timeouts)
    a, b = before["a"], before["b"]
    c = harness.join(instance="c", client_id="c", **timeouts)
    a_again = harness.join(a.member_id, instance="a", **timeouts)
    harness.advance(5_000)  # join deadline: dynamic stragglers would go, static b stays
    assert c.done and c.value.error is E.none and a_again.done and a_again.value.error is E.none
    generation = c.value.generation_id
    assert b.member_id in harness.mgr.groups["g"].members
    (leader_view,) = [r for r in (a_again.value, c.value) if r.members]  # exactly one leads
    assert b.member_id in {
        m.member_id for m in leader_view.members
    }  # the absent static member is assigned too
    leader_id = c.value.leader_id
    plan = {m: b"p" for m in harness.mgr.groups["g"].members}
    for member_id, name in ((a.member_id, "a"), (c.value.member_id, "c")):
        harness.sync(member_id, generation, plan if member_id == leader_id else None, instance=name)
    harness.advance(5_000)  # sync deadline: b never synced
    assert b.member_id not in harness.mgr.groups["g"].members
    assert harness.state() == "PreparingRebalance"


def test_leave_by_instance_id(harness):
    from core.groups.results import LeaveRequestMember

    before = _static_group(harness)
    result = harness.mgr.leave(
        "g",
        [
            LeaveRequestMember("", "b"),
            LeaveRequestMember("", "nope"),
            LeaveRequestMember("wrong-id", "a"),
        ],
    )
    errors = [e for _, e in result.members]
    assert errors == [E.none, E.unknown_member_id, E.fenced_instance_id]
    assert before["b"].member_id not in harness.mgr.groups["g"].members
    assert harness.state() == "PreparingRebalance"
