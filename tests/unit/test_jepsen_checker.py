"""The Jepsen-style checker catches each kind of anomaly on a synthetic history, and passes a
clean one (a failover with retries, indeterminate sends, rebalances and a failed value)."""

from __future__ import annotations

import threading

import pytest

from tests.support.jepsen import (
    ACK_OFFSET,
    COMMIT_REGRESSION,
    DUPLICATE,
    INCONSISTENT_OFFSET,
    LOST,
    PHANTOM,
    TRUNCATED_READ,
    History,
    check,
)

P0 = ("t", 0)
P1 = ("t", 1)


def sent(h: History, p, value: str, offset: int | None, process: str = "producer-a") -> None:
    h.invoke(process, p, value)
    if offset is None:
        h.info(process, p, value, "timed out")
    else:
        h.ok(process, p, value, offset)


def clean_history() -> tuple[History, dict]:
    h = History()
    for i in range(5):
        sent(h, P0, f"a{i}", i)
    sent(h, P1, "b0", 0, "producer-b")
    sent(h, P1, "b1", None, "producer-b")  # indeterminate and written
    sent(h, P1, "b2", None, "producer-b")  # indeterminate and not written
    h.invoke("producer-b", P1, "b3")
    h.fail("producer-b", P1, "b3", "NOT_LEADER_OR_FOLLOWER")  # definitely not written
    sent(h, P1, "b4", 2, "producer-b")
    for i in range(3):
        h.poll("consumer-1", P0, i, f"a{i}")
    h.commit("consumer-1", "g", P0, 3)
    # rebalance: consumer-2 re-reads from the committed offset, and one record twice
    for i in (3, 3, 4):
        h.poll("consumer-2", P0, i, f"a{i}")
    h.commit("consumer-2", "g", P0, 3)  # the same offset again is not a regression
    h.commit("consumer-2", "g", P0, 5)
    h.poll("consumer-2", P1, 1, "b1")
    h.commit("consumer-2", "g", P1, 2)
    final = {
        P0: [(i, f"a{i}") for i in range(5)],
        P1: [(0, "b0"), (1, "b1"), (2, "b4")],
    }
    return h, final


def test_a_clean_history_passes() -> None:
    h, final = clean_history()
    result = check(h, final)
    result.assert_valid()
    assert result.stats["acked"] == 7
    assert result.stats["indeterminate"] == 2
    assert result.stats["failed"] == 1
    assert result.stats["final_records"] == 8


def kinds(result) -> set[str]:
    return {a.kind for a in result.anomalies}


def test_an_acknowledged_value_missing_from_the_final_read_is_lost() -> None:
    h, final = clean_history()
    final[P1] = final[P1][:2]  # b4, acked at 2 and never polled
    result = check(h, final)
    assert kinds(result) == {LOST}
    (anomaly,) = result.of(LOST)
    assert anomaly.partition == P1 and "'b4'" in anomaly.detail
    with pytest.raises(AssertionError, match="lost: 1"):
        result.assert_valid()


def test_a_value_in_another_partition_than_sent_is_lost_and_a_phantom() -> None:
    h, final = clean_history()
    final[P0] = final[P0][:4]
    final[P1] = [*final[P1], (3, "a4")]
    assert kinds(check(h, final)) == {LOST, PHANTOM, TRUNCATED_READ}  # a4 was polled in P0


def test_a_value_acknowledged_at_one_offset_and_stored_at_another() -> None:
    h, final = clean_history()
    final[P1] = [(0, "b0"), (1, "b1"), (2, "b2"), (3, "b4")]  # b4 acked at 2
    result = check(h, final)
    assert ACK_OFFSET in kinds(result)
    # the ack said offset 2 holds b4, the log says b2: two values at one offset
    assert INCONSISTENT_OFFSET in kinds(result)
    assert LOST not in kinds(result)


def test_one_value_at_two_offsets_is_a_duplicate() -> None:
    h, final = clean_history()
    final[P1] = [*final[P1], (3, "b0")]  # an idempotent retry written twice
    result = check(h, final)
    assert kinds(result) == {DUPLICATE}
    assert "offsets [0, 3]" in result.of(DUPLICATE)[0].detail


def test_a_duplicate_seen_only_by_a_consumer_counts() -> None:
    h, final = clean_history()
    h.poll("consumer-3", P0, 7, "a1")
    assert {DUPLICATE, TRUNCATED_READ} == kinds(check(h, final))


def test_two_consumers_reading_different_values_at_one_offset() -> None:
    h, final = clean_history()
    sent(h, P0, "a5", None)
    h.poll("consumer-1", P0, 5, "a5")  # read from a deposed leader's log
    final[P0] = [*final[P0], (5, "a6")]
    sent(h, P0, "a6", None)
    h.poll("consumer-2", P0, 5, "a6")
    result = check(h, final)
    assert INCONSISTENT_OFFSET in kinds(result)
    assert "offset 5" in result.of(INCONSISTENT_OFFSET)[0].detail
    assert result.of(TRUNCATED_READ)[0].detail.startswith("consumer-1 read 'a5' at 5")


def test_a_read_of_a_record_the_final_log_does_not_hold_is_a_truncated_read() -> None:
    h, final = clean_history()
    sent(h, P1, "b5", None)
    h.poll("consumer-1", P1, 3, "b5")  # read past what survived
    result = check(h, final)
    assert kinds(result) == {TRUNCATED_READ}
    assert "final log has 'nothing'" in result.of(TRUNCATED_READ)[0].detail


def test_a_value_nobody_sent_is_a_phantom() -> None:
    h, final = clean_history()
    final[P1] = [*final[P1], (3, "zz")]
    result = check(h, final)
    assert kinds(result) == {PHANTOM}


def test_a_committed_offset_going_down_is_a_regression() -> None:
    h, final = clean_history()
    h.commit("consumer-3", "g", P0, 4)  # after consumer-2 committed 5
    result = check(h, final)
    assert kinds(result) == {COMMIT_REGRESSION}
    assert "committed 4 after consumer-2 committed 5" in result.of(COMMIT_REGRESSION)[0].detail


def test_commits_of_other_groups_and_partitions_are_independent() -> None:
    h, final = clean_history()
    h.commit("other", "g2", P0, 1)
    h.commit("consumer-2", "g", P1, 2)
    check(h, final).assert_valid()


def test_the_summary_names_every_kind_found() -> None:
    h, final = clean_history()
    final[P0] = final[P0][:4] + [(4, "a3")]
    h.commit("consumer-3", "g", P0, 0)
    summary = check(h, final).summary()
    for kind in (LOST, DUPLICATE, INCONSISTENT_OFFSET, COMMIT_REGRESSION):
        assert f"{kind}:" in summary


def test_the_history_is_thread_safe_and_bounded() -> None:
    h = History(max_events=4000)

    def produce(name: str) -> None:
        for i in range(1000):
            h.invoke(name, P0, f"{name}-{i}")

    threads = [threading.Thread(target=produce, args=(f"p{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = h.events
    assert len(events) == 4000
    assert [e.index for e in events] == list(range(4000))
    with pytest.raises(RuntimeError, match="over 4000 events"):
        h.invoke("p9", P0, "one-too-many")
