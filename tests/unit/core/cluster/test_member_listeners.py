"""register_node carries every Kafka listener's advertised address by name; a payload written
before listeners had names still loads; Metadata's broker entry follows the request's listener."""

import json

from core.cluster.members import Member, Members
from core.cluster.metadata import BrokerInfo, KafkaEndpoint

LISTENERS = (KafkaEndpoint("internal", "10.0.0.2", 9092), KafkaEndpoint("external", "h", 19093))


def _register(members: Members, payload: dict, offset: int = 1) -> None:
    members.apply_register(json.loads(json.dumps(payload)), offset)  # as the log stores it


def test_listeners_round_trip_through_the_controller_payload():
    member = Member(2, "u2", "10.0.0.2", 9092, "10.0.0.2", 33145, "r", LISTENERS)
    members = Members()
    _register(members, {**member.as_payload()})
    assert members.get(2) == member  # equal: a restart does not register again
    assert members.brokers()[0].listeners == LISTENERS


def test_an_old_payload_without_listeners_loads_with_them_unknown():
    members = Members()
    old = {
        "node_id": 1,
        "uuid": "u1",
        "kafka_host": "h",
        "kafka_port": 9092,
        "rpc_host": "h",
        "rpc_port": 33145,
        "rack": None,
    }
    _register(members, old)
    broker = members.brokers()[0]
    assert broker.listeners == ()
    assert broker.on_listener("external") == broker  # its one address on every listener
    new = Member(1, "u1", "h", 9092, "h", 33145, None, LISTENERS[:1])
    _register(members, new.as_payload(), 2)
    assert members.get(1) == new  # a re-registration adds them


def test_a_broker_on_a_listener():
    broker = BrokerInfo(3, "10.0.0.2", 9092, None, "10.0.0.2", 33145, LISTENERS)
    external = broker.on_listener("external")
    assert external is not None and (external.host, external.port) == ("h", 19093)
    assert broker.on_listener("internal") == broker
    assert broker.on_listener(None) == broker
    assert broker.on_listener("other") is None  # left out of Metadata, as Kafka does
