"""redpanda.yaml's per-listener security settings: kafka_api authentication_method and
kafka_api_tls (Redpanda's shapes: a list of listeners, or one mapping)."""

import pytest

from core.config.node import NodeConfigError, TlsConfig, from_document


def _node(**rp):
    return from_document({"redpanda": {"data_directory": "/tmp/x", **rp}})


def test_authentication_method_per_listener():
    node = _node(kafka_api=[{"address": "0.0.0.0", "port": 9092, "authentication_method": "sasl"}])
    assert node.kafka_api_authentication_method == "sasl"
    assert _node(kafka_api={"port": 9092}).kafka_api_authentication_method is None
    with pytest.raises(NodeConfigError, match="authentication_method"):
        _node(kafka_api=[{"port": 9092, "authentication_method": "kerberos"}])


def test_kafka_api_tls_takes_the_first_enabled_entry():
    node = _node(
        kafka_api_tls=[
            {"name": "off", "enabled": False, "cert_file": "x", "key_file": "y"},
            {"name": "on", "enabled": True, "cert_file": "c", "key_file": "k"},
        ]
    )
    assert node.kafka_api_tls == TlsConfig("c", "k", None, False)
    assert _node(kafka_api_tls={"enabled": False}).kafka_api_tls is None


def test_mtls_needs_a_truststore():
    with pytest.raises(NodeConfigError, match="truststore_file"):
        _node(
            kafka_api_tls={
                "enabled": True,
                "cert_file": "c",
                "key_file": "k",
                "require_client_auth": True,
            }
        )
