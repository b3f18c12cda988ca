"""MetadataView: brokers from the members table with this node's own entry, and the
controller id clients are told."""

from __future__ import annotations

from core.cluster.members import Members
from core.cluster.metadata import BrokerInfo, MetadataView
from core.cluster.topic_table import TopicTable


def test_controller_id_keeps_the_last_leader_while_an_election_runs():
    leader: list[int | None] = [None]
    view = MetadataView(TopicTable(), [], "c", 3, controller_leader=lambda: leader[0])
    assert view.controller_id == 3  # none known yet: this node (it forwards)
    leader[0] = 1
    assert view.controller_id == 1
    leader[0] = None
    assert view.controller_id == 1  # not -1: a client would wait instead of asking
    leader[0] = 2
    assert view.controller_id == 2


def test_brokers_are_the_members_with_this_nodes_bound_entry():
    members = Members()
    for n, port in ((0, 9092), (2, 9094)):
        members.apply_register(
            {
                "node_id": n,
                "uuid": f"u{n}",
                "kafka_host": "h",
                "kafka_port": port,
                "rpc_host": "h",
                "rpc_port": 33145,
            },
            n,
        )
    me = BrokerInfo(2, "127.0.0.1", 40000, None, "127.0.0.1", 33145)
    view = MetadataView(TopicTable(), [me], "c", 2)
    assert view.brokers() == [me]  # no members table: this node alone
    view.set_members(members)
    assert [(b.node_id, b.port) for b in view.brokers()] == [(0, 9092), (2, 40000)]
    assert view.broker(0).port == 9092 and view.broker(1) is None


def test_controller_id_is_this_node_while_the_last_leader_is_dead():
    """The last known controller leader died and no new one is elected yet: clients are told
    this node (it forwards), not the dead broker Metadata no longer lists (librdkafka's
    CreateTopics then timed out 'waiting for controller')."""
    leader: list[int | None] = [1]
    alive = {0: True, 1: True}
    me = BrokerInfo(0, "127.0.0.1", 40000, None, "127.0.0.1", 33145)
    view = MetadataView(
        TopicTable(), [me], "c", 0, controller_leader=lambda: leader[0], alive=alive.__getitem__
    )
    assert view.controller_id == 1
    leader[0], alive[1] = None, False
    assert view.controller_id == 0
    leader[0] = 2
    assert view.controller_id == 2
