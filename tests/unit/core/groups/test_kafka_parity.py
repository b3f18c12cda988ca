"""Corners where the coordinator must answer exactly as Kafka's GroupCoordinator does:
requests while a partition loads, OffsetDelete while the subscription is unknown,
retention versus commits still being written and versus active subscriptions."""

from __future__ import annotations

from kio.schema.errors import ErrorCode as E

from core.groups.memory_journal import MemoryJournal
from core.groups.offsets import CommitParams
from core.groups.results import OffsetCommitItem
from tests.support.groups import subscription


def _commit(h, items, group="g", generation=-1, member_id="", retention_ms=-1):
    params = CommitParams(
        group, [OffsetCommitItem(*i) for i in items], generation, member_id, None, retention_ms
    )
    return h.mgr.commit_offsets(params)


def _fetched(h, group="g"):
    result = h.mgr.fetch_offsets(group, None)
    assert result.error is E.none
    return {(o.topic, o.partition): o.offset for o in result.offsets}


# ---------------------------------------------------------------- while the partition loads


def test_heartbeat_while_loading_is_answered_blindly(harness):
    # Kafka answers NONE: Java and kafka-python consumers treat COORDINATOR_LOAD_IN_PROGRESS
    # on a heartbeat as an unexpected error.
    (only,) = harness.stable_group(1)
    harness.mgr.begin_load(harness.mgr.partition_of("g"))
    assert harness.heartbeat(only.member_id, only.generation_id) is E.none


def test_sync_while_loading_asks_the_member_to_rejoin(harness):
    # Kafka answers REBALANCE_IN_PROGRESS: the rebalance state is lost, the member
    # rejoins without rediscovering the coordinator; older clients fail on LOAD_IN_PROGRESS.
    (only,) = harness.stable_group(1)
    harness.mgr.begin_load(harness.mgr.partition_of("g"))
    from core.groups.membership import SyncParams

    result = harness.mgr.sync(SyncParams("g", only.generation_id, only.member_id, {}))
    assert result.value.error is E.rebalance_in_progress
    assert (
        harness.mgr.join(_join_params(only.member_id)).value.error is E.coordinator_load_in_progress
    )


def _join_params(member_id):
    from core.groups.membership import JoinParams

    return JoinParams("g", member_id, "consumer", [("range", subscription("t"))], 10_000, 20_000)


# ---------------------------------------------------------------- OffsetDelete


def test_offset_delete_is_refused_while_the_first_generation_forms(make_harness):
    h = make_harness(group_initial_rebalance_delay_ms=3_000)
    assert _commit(h, [("t", 0, 1, -1, "")]).value[0][1] is E.none
    waiter = h.join_new()
    assert not waiter.done and h.state() == "PreparingRebalance"
    # no generation yet: the subscription is unknown, so every topic counts as subscribed
    assert h.mgr.delete_offsets("g", [("t", 0)]).value == (E.none, [E.group_subscribed_to_topic])
    assert _fetched(h) == {("t", 0): 1}


def test_offset_delete_during_a_protocol_change_uses_the_current_generation(harness):
    both = [("range", subscription("t")), ("sticky", subscription("t"))]
    a, b = harness.stable_group(2, protocols=both)
    done = _commit(
        harness,
        [("t", 0, 1, -1, ""), ("old", 0, 2, -1, "")],
        generation=a.generation_id,
        member_id=a.member_id,
    )
    assert [e for _, e in done.value] == [E.none, E.none]
    # b drops the group's protocol (range): a rebalance starts; b's metadata has no "range"
    rejoin = harness.join(b.member_id, client_id="c1", protocols=[("sticky", subscription("t"))])
    assert not rejoin.done and harness.state() == "PreparingRebalance"
    error, errors = harness.mgr.delete_offsets("g", [("t", 0), ("old", 0)]).value
    assert (error, errors) == (E.none, [E.group_subscribed_to_topic, E.none])
    assert _fetched(harness) == {("t", 0): 1}


# ---------------------------------------------------------------- retention


def test_expiry_check_spares_a_simple_consumers_commit_in_flight(make_harness):
    journal = MemoryJournal(auto_resolve=False)
    h = make_harness(journal=journal, group_offset_retention_check_ms=60_000)
    done = _commit(h, [("t", 0, 5, -1, "")])  # creates the (empty) group; the write is in flight
    h.advance(60_000)  # the expiry check runs before the write lands
    journal.settle()
    assert done.value[0][1] is E.none
    assert _fetched(h) == {("t", 0): 5}
    h.restart()
    assert _fetched(h) == {("t", 0): 5}


def test_expiry_does_not_tombstone_an_offset_whose_new_commit_is_in_flight(make_harness):
    journal = MemoryJournal(auto_resolve=False)
    h = make_harness(
        journal=journal, group_offset_retention_sec=3_600, group_offset_retention_check_ms=60_000
    )
    _commit(h, [("t", 0, 1, -1, "")])
    journal.settle()
    h.advance(3_600_000 - 60_000)
    newer = _commit(h, [("t", 0, 2, -1, "")])  # not yet stored when retention of the old one passes
    h.advance(60_000)
    journal.settle()
    assert newer.value[0][1] is E.none
    assert _fetched(h) == {("t", 0): 2}
    h.restart()  # the log must not end with a tombstone for it
    assert _fetched(h) == {("t", 0): 2}


def test_explicit_retention_never_expires_topics_an_active_group_consumes(make_harness):
    h = make_harness(group_offset_retention_sec=3_600, group_offset_retention_check_ms=10_000)
    (only,) = h.stable_group(1, session_ms=30_000)
    done = _commit(
        h,
        [("t", 0, 3, -1, ""), ("gone", 0, 4, -1, "")],
        generation=only.generation_id,
        member_id=only.member_id,
        retention_ms=15_000,
    )  # OffsetCommit v2-v4 retention_time
    assert [e for _, e in done.value] == [E.none, E.none]
    for _ in range(3):
        h.advance(10_000)
        assert h.heartbeat(only.member_id, only.generation_id) is E.none
    assert _fetched(h) == {("t", 0): 3}  # "gone" is not subscribed: its explicit expiry applies


# ---------------------------------------------------------------- JoinGroup


def test_known_member_joining_with_an_unregistered_instance_id_is_unknown(harness):
    (only,) = harness.stable_group(1)
    # Kafka: a static member joining with an instance id the group does not know must reset
    assert (
        harness.join(only.member_id, instance="never-registered").value.error is E.unknown_member_id
    )
    assert harness.state() == "Stable" and harness.mgr.groups["g"].static_members == {}
