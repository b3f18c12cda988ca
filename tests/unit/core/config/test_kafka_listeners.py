"""Named Kafka listeners in redpanda.yaml: every `kafka_api` entry, its advertised address from
`advertised_kafka_api` by name, its authentication_method and its `kafka_api_tls` by name; the
`kafka_api*` fields stay the first listener's."""

import pytest

from core.config.node import (
    Address,
    KafkaListenerConfig,
    NodeConfig,
    NodeConfigError,
    TlsConfig,
    from_document,
)


def _node(**rp) -> NodeConfig:
    return from_document({"redpanda": {"data_directory": "/tmp/x", **rp}})


TWO = [
    {"name": "internal", "address": "0.0.0.0", "port": 9092},
    {"name": "external", "address": "0.0.0.0", "port": 19092, "authentication_method": "sasl"},
]


def test_every_entry_is_a_listener_advertised_by_name():
    node = _node(
        kafka_api=TWO,
        advertised_kafka_api=[  # listed in the other order: names match, not positions
            {"name": "external", "address": "localhost", "port": 19092},
            {"name": "internal", "address": "redpanda-0", "port": 9092},
        ],
    )
    assert node.kafka_listeners == [
        KafkaListenerConfig("internal", Address("0.0.0.0", 9092), Address("redpanda-0", 9092)),
        KafkaListenerConfig(
            "external", Address("0.0.0.0", 19092), Address("localhost", 19092), "sasl"
        ),
    ]
    # Existing callers see the first listener
    assert node.kafka_api == Address("0.0.0.0", 9092)
    assert node.kafka_advertised == Address("redpanda-0", 9092)
    assert node.kafka_api_name == "internal"
    assert node.kafka_api_authentication_method is None
    assert node.as_dict()["advertised_kafka_api"] == [
        {"name": "internal", "address": "redpanda-0", "port": 9092},
        {"name": "external", "address": "localhost", "port": 19092},
    ]


def test_a_listener_without_advertised_entry_advertises_its_own_address():
    node = _node(kafka_api=TWO, advertised_kafka_api=[{"name": "external", "address": "h"}])
    internal, external = node.kafka_listeners
    assert internal.advertised == Address("0.0.0.0", 9092)
    assert external.advertised == Address("h", 9092)
    assert [x.advertised for x in _node(kafka_api=TWO).kafka_listeners] == [
        Address("0.0.0.0", 9092),
        Address("0.0.0.0", 19092),
    ]


def test_one_listener_takes_the_one_advertised_entry_whatever_its_name():
    node = _node(
        kafka_api=[{"name": "internal", "address": "0.0.0.0", "port": 9092}],
        advertised_kafka_api=[{"address": "k.example", "port": 9093}],
    )
    assert [x.advertised for x in node.kafka_listeners] == [Address("k.example", 9093)]
    assert node.kafka_advertised == Address("k.example", 9093)


def test_defaults_and_legacy_shapes_are_one_unnamed_listener():
    assert _node().kafka_listeners == [
        KafkaListenerConfig("", Address("127.0.0.1", 9092), Address("127.0.0.1", 9092))
    ]
    assert _node().as_dict()["kafka_api"] == [{"address": "127.0.0.1", "port": 9092}]
    node = _node(kafka_api="internal://0.0.0.0:9094")
    assert (node.kafka_api_name, node.kafka_api) == ("internal", Address("0.0.0.0", 9094))
    with pytest.raises(NodeConfigError, match="empty listener list"):
        _node(kafka_api=[])


def test_a_caller_changing_the_first_listener_fields_changes_the_first_listener():
    node = _node(kafka_api=TWO)
    node.kafka_api = Address("127.0.0.1", 0)
    assert node.kafka_listeners[0].address == Address("127.0.0.1", 0)
    assert node.kafka_listeners[1].name == "external"


def test_duplicate_names_are_refused():
    with pytest.raises(NodeConfigError, match="two listeners named 'a'"):
        _node(kafka_api=[{"name": "a", "port": 1}, {"name": "a", "port": 2}])
    with pytest.raises(NodeConfigError, match="advertised_kafka_api: two listeners named ''"):
        _node(kafka_api=TWO, advertised_kafka_api=[{"port": 1}, {"port": 2}])


def test_authentication_method_is_checked_on_every_listener():
    with pytest.raises(NodeConfigError, match="authentication_method"):
        _node(kafka_api=[TWO[0], {**TWO[1], "authentication_method": "kerberos"}])


def test_tls_entries_serve_the_listener_of_their_name():
    node = _node(
        kafka_api=TWO,
        kafka_api_tls=[
            {"name": "internal", "enabled": False, "cert_file": "x", "key_file": "y"},
            {"name": "external", "enabled": True, "cert_file": "c", "key_file": "k"},
        ],
    )
    internal, external = node.kafka_listeners
    assert internal.tls is None and node.kafka_api_tls is None
    assert external.tls == TlsConfig("c", "k", None, False)


def test_an_enabled_tls_entry_naming_no_listener_is_refused():
    with pytest.raises(NodeConfigError, match="no kafka_api listener is named 'outside'"):
        _node(
            kafka_api=TWO,
            kafka_api_tls=[{"name": "outside", "enabled": True, "cert_file": "c", "key_file": "k"}],
        )


def test_one_listener_takes_the_first_enabled_tls_entry_whatever_its_name():
    node = _node(
        kafka_api=[TWO[0]],
        kafka_api_tls=[{"name": "other", "enabled": True, "cert_file": "c", "key_file": "k"}],
    )
    assert node.kafka_listeners[0].tls == TlsConfig("c", "k", None, False)
