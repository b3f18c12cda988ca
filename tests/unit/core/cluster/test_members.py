"""The members table (core.cluster.members): registration, UUID conflicts, id assignment,
the cluster's name; and TopicsFrontend's checks against the members."""

from __future__ import annotations

import pytest

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.members import Member, Members
from core.cluster.metadata import BrokerInfo
from core.cluster.topic_table import TopicTable
from core.cluster.topics import TopicsFrontend
from core.config.cluster_properties import ClusterConfigStore


def payload(node_id: int | None, node_uuid: str, port: int = 9092, rack: str | None = None):
    return {
        "node_id": node_id,
        "uuid": node_uuid,
        "kafka_host": "h",
        "kafka_port": port,
        "rpc_host": "h",
        "rpc_port": 33145,
        "rack": rack,
    }


def test_register_adds_then_updates_and_tells_listeners():
    members, seen = Members(), []
    members.subscribe(lambda event, m: seen.append((event, m.node_id, m.kafka_port)))
    members.apply_register(payload(1, "a"), 0)
    members.apply_register(payload(1, "a"), 1)  # the same: no event
    members.apply_register(payload(1, "a", port=9093, rack="r1"), 2)
    assert seen == [("added", 1, 9092), ("updated", 1, 9093)]
    assert members.brokers() == [BrokerInfo(1, "h", 9093, "r1", "h", 33145)]


def test_a_node_id_held_by_another_uuid_is_refused():
    members = Members()
    members.apply_register(payload(1, "a"), 0)
    members.apply_register(payload(1, "wiped-and-back"), 1)
    member = members.get(1)
    assert member is not None and member.uuid == "a"


def test_ids_are_assigned_at_apply_and_never_reused():
    members = Members()
    members.apply_register(payload(4, "a"), 0)
    members.apply_register(payload(None, "b"), 1)
    members.apply_register(payload(None, "c"), 2)
    members.apply_register(payload(None, "b", port=1), 3)  # b again: keeps its id
    assert [(m.node_id, m.uuid) for m in members.all()] == [(4, "a"), (5, "b"), (6, "c")]
    assert members.by_uuid("b") == Member(5, "b", "h", 1, "h", 33145)


def test_the_first_bootstrap_names_the_cluster():
    members, named = Members(), []
    members.on_bootstrap(named.append)
    members.apply_bootstrap({"cluster_uuid": "one", "founders": [2, 0, 1]}, 0)
    members.apply_bootstrap({"cluster_uuid": "two", "founders": [0]}, 1)
    assert members.cluster_uuid == "one" and members.founders == (0, 1, 2) and named == ["one"]
    late = []
    members.on_bootstrap(late.append)
    assert late == ["one"]


class _Controller:
    """What TopicsFrontend reads of the controller (no submit needed for checks)."""

    def __init__(self, members: Members) -> None:
        self.members = members
        self.topics = TopicTable()
        self.node_id = 0


@pytest.fixture
def frontend():
    members = Members()
    for i in range(3):
        members.apply_register(payload(i, f"u{i}"), i)
    return TopicsFrontend(_Controller(members), ClusterConfigStore())  # type: ignore[arg-type]


def test_rf_must_be_odd_and_at_most_the_member_count(frontend):
    assert frontend.check_create("t", 3, 3, {})[:2] == (3, 3)
    for rf in (2, 5):
        with pytest.raises(ClusterError) as caught:
            frontend.check_create("t", 3, rf, {})
        assert caught.value.errc == ClusterErrc.invalid_replication_factor


def test_explicit_assignments_set_partitions_and_rf(frontend):
    assert frontend.check_create("t", -1, -1, {}, [[2, 0, 1], [0, 1, 2]])[:2] == (2, 3)
    with pytest.raises(ClusterError):
        frontend.check_create("t", 2, -1, {}, [[0], [1]])  # counts must be -1 then
    with pytest.raises(ClusterError):
        frontend.check_create("t", -1, -1, {}, [[0, 7, 1]])  # node 7 is no member
