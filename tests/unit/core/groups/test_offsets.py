"""Offset commits, fetches, deletion, expiry and generation fencing."""

from __future__ import annotations

from kio.schema.errors import ErrorCode as E

from core.groups.memory_journal import MemoryJournal
from core.groups.offsets import CommitParams
from core.groups.results import LeaveRequestMember, OffsetCommitItem


def _commit(h, items, group="g", generation=-1, member_id="", instance=None, retention_ms=-1):
    params = CommitParams(
        group, [OffsetCommitItem(*i) for i in items], generation, member_id, instance, retention_ms
    )
    return h.mgr.commit_offsets(params)


def _fetched(h, group="g", partitions=None):
    result = h.mgr.fetch_offsets(group, partitions)
    assert result.error is E.none
    return {(o.topic, o.partition): (o.offset, o.metadata) for o in result.offsets}


def test_simple_consumer_commits_without_joining(harness):
    done = _commit(harness, [("t", 0, 42, -1, "meta-0"), ("t", 1, 7, 3, None)])
    assert [e for _, e in done.value] == [E.none, E.none]
    assert _fetched(harness) == {("t", 0): (42, "meta-0"), ("t", 1): (7, "")}
    assert _fetched(harness, partitions=[("t", 0), ("t", 9)]) == {
        ("t", 0): (42, "meta-0"),
        ("t", 9): (-1, ""),
    }
    assert harness.state() == "Empty"


def test_member_commit_checks_generation_member_and_state(harness):
    results = harness.stable_group(2)
    a, b = results
    ok = _commit(harness, [("t", 0, 5, -1, "")], generation=a.generation_id, member_id=a.member_id)
    assert ok.value[0][1] is E.none
    stale = _commit(
        harness, [("t", 0, 6, -1, "")], generation=a.generation_id - 1, member_id=a.member_id
    )
    assert stale.value[0][1] is E.illegal_generation
    stranger = _commit(harness, [("t", 0, 6, -1, "")], generation=a.generation_id, member_id="x")
    assert stranger.value[0][1] is E.unknown_member_id
    outsider = _commit(harness, [("t", 0, 6, -1, "")])
    assert outsider.value[0][1] is E.unknown_member_id  # active group: members only
    leader = next(r for r in results if r.member_id == r.leader_id)
    harness.join(
        leader.member_id
    )  # rebalance starts: commits of the current generation still count
    during = _commit(
        harness, [("t", 1, 9, -1, "")], generation=a.generation_id, member_id=b.member_id
    )
    assert during.value[0][1] is E.none
    rejoined = harness.join(a.member_id if leader is b else b.member_id)
    assert rejoined.done and harness.state() == "CompletingRebalance"
    completing = _commit(
        harness,
        [("t", 1, 10, -1, "")],
        generation=rejoined.value.generation_id,
        member_id=rejoined.value.member_id,
    )
    assert completing.value[0][1] is E.rebalance_in_progress
    assert _fetched(harness) == {("t", 0): (5, ""), ("t", 1): (9, "")}


def test_commit_to_unknown_group_with_a_generation_is_illegal(harness):
    done = _commit(harness, [("t", 0, 1, -1, "")], group="nobody", generation=3, member_id="m")
    assert done.value[0][1] is E.illegal_generation


def test_oversized_metadata_is_refused_per_partition(make_harness):
    h = make_harness(offset_metadata_max_bytes=8)
    done = _commit(h, [("t", 0, 1, -1, "x" * 9), ("t", 1, 2, -1, "short")])
    assert [e for _, e in done.value] == [E.offset_metadata_too_large, E.none]
    assert _fetched(h) == {("t", 1): (2, "short")}


def test_offsets_are_applied_only_once_stored(make_harness):
    journal = MemoryJournal(auto_resolve=False)
    h = make_harness(journal=journal)
    done = _commit(h, [("t", 0, 11, -1, "")])
    assert not done.done and _fetched(h) == {}
    journal.settle()
    assert done.value[0][1] is E.none and _fetched(h) == {("t", 0): (11, "")}
    failed = _commit(h, [("t", 0, 12, -1, "")])
    journal.settle(error=E.not_coordinator)
    assert failed.value[0][1] is E.not_coordinator and _fetched(h) == {("t", 0): (11, "")}


def test_failed_assignment_write_fails_the_syncs_and_rebalances(make_harness):
    journal = MemoryJournal(auto_resolve=False)
    h = make_harness(journal=journal)
    first = h.join_new()
    r = first.value
    synced = h.sync(r.member_id, r.generation_id, {r.member_id: b"a"})
    assert not synced.done
    journal.settle(error=E.coordinator_not_available)
    assert synced.value.error is E.coordinator_not_available
    assert h.state() in ("PreparingRebalance", "CompletingRebalance")


def test_offsets_and_metadata_survive_a_restart(harness):
    _commit(harness, [("t", 0, 42, 5, "where I was"), ("u", 3, 1, -1, "")])
    harness.restart()
    assert _fetched(harness) == {("t", 0): (42, "where I was"), ("u", 3): (1, "")}
    (entry,) = [o for o in harness.mgr.fetch_offsets("g", [("t", 0)]).offsets]
    assert entry.leader_epoch == 5


def test_empty_group_offsets_expire_after_retention(make_harness):
    h = make_harness(group_offset_retention_sec=3_600, group_offset_retention_check_ms=60_000)
    _commit(h, [("t", 0, 1, -1, "")])
    h.advance(3_600_000 - 60_000)
    assert _fetched(h) == {("t", 0): (1, "")}
    h.advance(60_000)
    assert _fetched(h) == {}
    assert h.mgr.list_groups()[1] == []  # the group went with its last offset
    h.restart()
    assert _fetched(h) == {} and h.mgr.list_groups()[1] == []


def test_active_group_keeps_offsets_of_subscribed_topics(make_harness):
    h = make_harness(group_offset_retention_sec=60, group_offset_retention_check_ms=10_000)
    (only,) = h.stable_group(1, session_ms=30_000)
    _commit(
        h,
        [("t", 0, 3, -1, ""), ("gone", 0, 4, -1, "")],
        generation=only.generation_id,
        member_id=only.member_id,
    )
    for _ in range(8):  # 80 s, heartbeating
        h.advance(10_000)
        h.heartbeat(only.member_id, only.generation_id)
    assert _fetched(h) == {("t", 0): (3, "")}


def test_explicit_retention_from_old_commit_versions(harness):
    _commit(harness, [("t", 0, 1, -1, "")], retention_ms=30_000)
    harness.advance(59_999)
    assert _fetched(harness) == {("t", 0): (1, "")}
    harness.advance(1)  # the expiry check runs every 60 s here
    assert _fetched(harness) == {}


def test_deleting_a_topic_removes_its_offsets_durably(harness):
    _commit(harness, [("t", 0, 1, -1, ""), ("u", 0, 2, -1, "")])
    _commit(harness, [("t", 1, 3, -1, "")], group="other")
    done = harness.mgr.on_topics_deleted(["t"])
    assert all(e is E.none for e in done.value)
    assert _fetched(harness) == {("u", 0): (2, "")} and _fetched(harness, "other") == {}
    harness.restart()
    assert _fetched(harness) == {("u", 0): (2, "")} and _fetched(harness, "other") == {}


def test_delete_group_only_when_empty(harness):
    results = harness.stable_group(1)
    _commit(
        harness,
        [("t", 0, 1, -1, "")],
        generation=results[0].generation_id,
        member_id=results[0].member_id,
    )
    assert harness.mgr.delete_group("g").value is E.non_empty_group
    assert harness.mgr.delete_group("missing").value is E.group_id_not_found
    harness.mgr.leave("g", [LeaveRequestMember(results[0].member_id)])
    assert harness.state() == "Empty"
    assert harness.mgr.delete_group("g").value is E.none
    assert _fetched(harness) == {} and harness.state() == "Dead"
    harness.restart()
    assert _fetched(harness) == {} and harness.mgr.list_groups()[1] == []


def test_offset_delete_refuses_subscribed_topics_of_an_active_group(harness):
    (only,) = harness.stable_group(1)
    _commit(
        harness,
        [("t", 0, 1, -1, ""), ("old", 0, 2, -1, "")],
        generation=only.generation_id,
        member_id=only.member_id,
    )
    error, errors = harness.mgr.delete_offsets("g", [("t", 0), ("old", 0)]).value
    assert error is E.none and errors == [E.group_subscribed_to_topic, E.none]
    assert _fetched(harness) == {("t", 0): (1, "")}
    assert harness.mgr.delete_offsets("nope", [("t", 0)]).value[0] is E.group_id_not_found


def test_loading_and_foreign_partitions(harness):
    partition = harness.mgr.partition_of("g")
    harness.mgr.begin_load(partition)
    assert harness.join().value.error is E.coordinator_load_in_progress
    assert harness.mgr.fetch_offsets("g", None).error is E.coordinator_load_in_progress
    assert harness.mgr.list_groups()[0] is E.coordinator_load_in_progress
    harness.mgr.unload(partition)
    assert harness.heartbeat("m", 1) is E.not_coordinator
    assert harness.mgr.describe("g").error is E.not_coordinator
