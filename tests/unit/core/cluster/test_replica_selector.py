"""The follower-fetching replica choice (core.cluster.replica_selector): the leader picks an
in-sync replica on a live broker in the consumer's rack that holds the fetch offset."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from core.cluster.maintenance import MaintenanceTable
from core.cluster.metadata import BrokerInfo, MetadataView
from core.cluster.replica_selector import (
    NO_REPLICA,
    RackReads,
    ReplicaInfo,
    rack_reads,
    select_replica,
)
from core.cluster.topic_table import TopicTable
from tests.support.raw_client import fetch_v11

RACKS = {0: "a", 1: "b", 2: "c", 3: "b", 4: None}


def _replicas(**ends: int) -> list[ReplicaInfo]:
    return [ReplicaInfo(int(k[1:]), v) for k, v in ends.items()]


def test_a_follower_in_the_client_rack_is_chosen() -> None:
    in_sync = _replicas(n0=100, n1=100, n2=100)
    assert select_replica("b", 50, 0, in_sync, RACKS) == 1
    assert select_replica("c", 100, 0, in_sync, RACKS) == 2


def test_the_leader_serves_a_client_in_its_own_rack_or_without_a_rack() -> None:
    in_sync = _replicas(n0=100, n1=100)
    assert select_replica("a", 50, 0, in_sync, RACKS) == NO_REPLICA
    assert select_replica("", 50, 0, in_sync, RACKS) == NO_REPLICA


def test_no_replica_in_the_rack_leaves_the_leader() -> None:
    assert select_replica("z", 0, 0, _replicas(n0=10, n1=10, n2=10), RACKS) == NO_REPLICA
    assert select_replica("b", 0, 4, _replicas(n4=10, n2=10), RACKS) == NO_REPLICA


def test_a_replica_out_of_the_in_sync_set_is_not_chosen() -> None:
    # node 1 (rack b) fell out of the ISR: the leader does not list it
    assert select_replica("b", 0, 0, _replicas(n0=10, n2=10), RACKS) == NO_REPLICA


def test_a_dead_broker_is_not_chosen() -> None:
    live = {n: r for n, r in RACKS.items() if n != 1}  # Metadata no longer lists node 1
    assert select_replica("b", 0, 0, _replicas(n0=10, n1=10, n3=10), live) == 3
    assert select_replica("b", 0, 0, _replicas(n0=10, n1=10), live) == NO_REPLICA


def test_a_replica_behind_the_fetch_offset_is_not_chosen() -> None:
    in_sync = _replicas(n0=100, n1=40, n3=100)
    assert select_replica("b", 41, 0, in_sync, RACKS) == 3
    assert select_replica("b", 40, 0, in_sync, RACKS) == 1  # holds up to 40: offset 40 waits
    assert select_replica("b", 101, 0, _replicas(n0=101, n1=100), RACKS) == NO_REPLICA


def test_the_choice_is_deterministic_the_lowest_node_id() -> None:
    for order in ([1, 3], [3, 1]):
        in_sync = [ReplicaInfo(0, 10)] + [ReplicaInfo(n, 10) for n in order]
        assert select_replica("b", 5, 0, in_sync, RACKS) == 1


@dataclass(frozen=True)
class _Broker:
    node_id: int
    rack: str | None


class _Partitions:
    def __init__(self, ends: dict[int, int]) -> None:
        self.ends = ends
        self.asked = 0

    def in_sync_log_ends(self, topic: str, index: int) -> dict[int, int]:
        self.asked += 1
        return dict(self.ends)


def test_rack_reads_asks_the_leader_only_when_the_client_is_elsewhere() -> None:
    brokers = [_Broker(n, r) for n, r in RACKS.items()]
    partitions = _Partitions({0: 10, 1: 10, 2: 10})
    assert RackReads("a", 0, brokers).preferred(partitions, "t", 0, 5) == NO_REPLICA
    assert partitions.asked == 0  # the leader is in rack a: nothing looked up
    assert RackReads("c", 0, brokers).preferred(partitions, "t", 0, 5) == 2
    assert RackReads("c", 0, brokers).preferred(_Partitions({}), "t", 0, 5) == NO_REPLICA


def _fetch(rack_id: str, replica_id: int = -1):
    return dataclasses.replace(fetch_v11("t"), rack_id=rack_id, replica_id=replica_id)


class _Metadata:
    maintenance: frozenset[int] = frozenset()

    def brokers(self) -> list[_Broker]:
        return [_Broker(0, "a"), _Broker(1, "b")]


def test_rack_reads_needs_the_property_a_consumer_and_a_rack() -> None:
    on = {"enable_rack_awareness": True}.get
    off = {"enable_rack_awareness": False}.get
    built = rack_reads(_fetch("b"), 0, on, _Metadata())
    assert built is not None and built.client_rack == "b" and built.racks == {0: "a", 1: "b"}
    assert rack_reads(_fetch("b"), 0, off, _Metadata()) is None
    assert rack_reads(_fetch(""), 0, on, _Metadata()) is None
    assert rack_reads(_fetch("b", replica_id=2), 0, on, _Metadata()) is None


def test_rack_reads_off_when_the_store_does_not_know_the_property() -> None:
    def unknown(name: str) -> object:
        raise KeyError(name)

    assert rack_reads(_fetch("b"), 0, unknown, _Metadata()) is None


def test_a_replica_on_a_node_in_maintenance_is_not_chosen() -> None:
    in_sync = _replicas(n0=10, n1=10, n3=10)
    assert select_replica("b", 0, 0, in_sync, RACKS, maintenance={1}) == 3
    assert select_replica("b", 0, 0, in_sync, RACKS, maintenance={1, 3}) == NO_REPLICA
    assert select_replica("b", 0, 0, in_sync, RACKS, maintenance={0}) == 1  # leader draining
    brokers = [_Broker(n, r) for n, r in RACKS.items()]
    partitions = _Partitions({0: 10, 1: 10, 3: 10})
    assert RackReads("b", 0, brokers, {1}).preferred(partitions, "t", 0, 5) == 3


class _Controller:
    """What MaintenanceTable registers with (core.cluster.controller.Controller)."""

    def register(self, command_type: str, apply_fn) -> None:
        pass

    def register_state(self, name: str, **kwargs) -> None:
        pass


def _broker(node_id: int, rack: str) -> BrokerInfo:
    return BrokerInfo(node_id, "h", 9092 + node_id, rack, "h", 33145 + node_id)


def test_rack_reads_skips_the_nodes_the_maintenance_table_names() -> None:
    """The metadata view carries the controller's MaintenanceTable: a node entering
    maintenance mode stops being preferred, leaving it makes it preferred again."""
    table = MaintenanceTable(_Controller())
    brokers = [_broker(0, "a"), _broker(1, "b"), _broker(2, "b")]
    view = MetadataView(TopicTable(), brokers, "c", 0, maintenance=table)
    on = {"enable_rack_awareness": True}.get
    partitions = _Partitions({0: 10, 1: 10, 2: 10})

    def preferred() -> int:
        built = rack_reads(_fetch("b"), 0, on, view)
        assert built is not None
        return built.preferred(partitions, "t", 0, 5)

    assert preferred() == 1
    table.apply({"node_id": 1, "enabled": True})
    assert preferred() == 2
    table.apply({"node_id": 1, "enabled": False})
    table.apply({"node_id": 2, "enabled": True})
    assert preferred() == 1
    assert MetadataView(TopicTable(), brokers, "c", 0).maintenance == frozenset()
