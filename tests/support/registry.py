"""A broker with the Schema Registry listener, for tests: the registry URL from its ready line."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.broker import BrokerProcess

READY_REGISTRY = re.compile(r"schema_registry=([\d.]+):(\d+)")
REGISTRY_ARGS = ("--schema-registry-addr", "127.0.0.1:0")


def registry_url(broker: BrokerProcess) -> str:
    """http://host:port of the registry, from the broker's latest ready line."""
    matches = READY_REGISTRY.findall(broker.log_text(since_start=True))
    if not matches:
        raise RuntimeError("the broker's ready line names no schema_registry listener")
    host, port = matches[-1]
    return f"http://{host}:{port}"


def start_registry_broker(data_dir: Path, *extra_args: str) -> tuple[BrokerProcess, str]:
    broker = BrokerProcess(data_dir, *REGISTRY_ARGS, *extra_args).start()
    return broker, registry_url(broker)
