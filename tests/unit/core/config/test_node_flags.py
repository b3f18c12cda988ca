"""Command-line listener flags override the address only: the file's other keys stay."""

from __future__ import annotations

from core.__main__ import build_parser, load_config


def test_kafka_addr_keeps_the_files_authentication_method(tmp_path):
    config = tmp_path / "redpanda.yaml"
    config.write_text(
        "redpanda:\n  kafka_api:\n    - name: internal\n      address: 0.0.0.0\n"
        "      port: 9092\n      authentication_method: sasl\n"
    )
    args = build_parser().parse_args(
        ["--config", str(config), "--kafka-addr", "127.0.0.1:0", "--data-dir", str(tmp_path)]
    )
    node = load_config(args)
    assert (node.kafka_api.host, node.kafka_api.port) == ("127.0.0.1", 0)
    assert node.kafka_api_authentication_method == "sasl"
