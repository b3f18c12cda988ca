"""pytest plugin: a real Ailurus broker for your test suite (installed as the `ailurus` pytest11
entry point; `-p core.testing.plugin` where the package is not installed). Nothing starts unless
a test uses one of its fixtures:

- `kafka_broker` (session): one `ailurus` process on 127.0.0.1 ephemeral ports with its own
  temporary data directory (removed at the end), with `bootstrap_servers`, `admin_url`,
  `proxy_url` and `schema_registry_url`. Under pytest-xdist each worker starts its own.
- `kafka_topic` (function): `kafka_topic(name=None, partitions=None, config=None)` creates a
  fresh topic on `kafka_broker` and returns its name; the test's topics are deleted after it.
- `kafka_broker_factory` (session): `kafka_broker_factory(cluster_properties={...},
  extra_args=[...])` starts further brokers, stopped at the end of the session.

Options: ini `ailurus_cluster_properties` (lines of KEY=VALUE), `ailurus_topic_partitions`
(default 1), `ailurus_start_timeout_s` (default 30); command line `--ailurus-set KEY=VALUE`
(repeatable, after the ini's). A broker that does not start fails the test with its last log
lines.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from core.testing.process import BrokerProcess

LOG_TAIL_LINES = 40
_TOPIC_NAME_MAX = 200


@dataclass
class KafkaBroker:
    """A running broker of the plugin."""

    process: BrokerProcess
    bootstrap_servers: str
    admin_url: str
    proxy_url: str | None
    schema_registry_url: str | None
    _admin_client: Any = field(default=None, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.process.data_dir

    @property
    def pid(self) -> int:
        return self.process.proc.pid if self.process.proc else -1

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return "\n".join(self.process.log_text().splitlines()[-lines:])

    def admin_client(self):
        """A kafka-python KafkaAdminClient for this broker (one, reused)."""
        if self._admin_client is None:
            from kafka.admin import KafkaAdminClient  # type: ignore[import-untyped]

            self._admin_client = KafkaAdminClient(
                bootstrap_servers=self.bootstrap_servers, client_id="ailurus-pytest"
            )
        return self._admin_client

    def create_topic(
        self, name: str, partitions: int = 1, config: Mapping[str, object] | None = None
    ) -> str:
        from kafka.admin import NewTopic

        configs = {k: str(v) for k, v in (config or {}).items()}
        topic = NewTopic(name, partitions, 1, topic_configs=configs)
        self.admin_client().create_topics([topic], timeout_ms=30_000)
        return name

    def delete_topics(self, names: Sequence[str]) -> None:
        if names:
            self.admin_client().delete_topics(list(names), timeout_ms=30_000)

    def close(self) -> None:
        if self._admin_client is not None:
            self._admin_client.close()
            self._admin_client = None

    def stop(self) -> None:
        """Stop the broker now (a clean shutdown); its directory goes with the factory's."""
        self.close()
        self.process.stop()


class KafkaBrokerFactory:
    """Starts brokers under one temporary directory; `close()` stops them and removes it."""

    def __init__(self, cluster_properties: Mapping[str, object], start_timeout_s: float) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ailurus-pytest-"))
        self.cluster_properties = dict(cluster_properties)
        self.start_timeout_s = start_timeout_s
        self.brokers: list[KafkaBroker] = []

    def __call__(
        self,
        cluster_properties: Mapping[str, object] | None = None,
        extra_args: Sequence[str] = (),
        proxy: bool = True,
        schema_registry: bool = True,
    ) -> KafkaBroker:
        properties = {**self.cluster_properties, **(cluster_properties or {})}
        args = [arg for key, value in properties.items() for arg in ("--set", f"{key}={value}")]
        if proxy:
            args += ["--pandaproxy-addr", "127.0.0.1:0"]
        if schema_registry:
            args += ["--schema-registry-addr", "127.0.0.1:0"]
        name = f"broker-{len(self.brokers)}"
        process = BrokerProcess(self.root / name, *args, *extra_args, die_with_parent=True)
        try:
            process.start(timeout_s=self.start_timeout_s)
        except (RuntimeError, TimeoutError) as exc:
            process.kill()
            raise BrokerStartError(f"the ailurus broker did not start: {exc}") from None
        broker = KafkaBroker(
            process=process,
            bootstrap_servers=process.bootstrap,
            admin_url=process.admin_url,
            proxy_url=process.listener_url("pandaproxy") if proxy else None,
            schema_registry_url=process.listener_url("schema_registry")
            if schema_registry
            else None,
        )
        self.brokers.append(broker)
        return broker

    def close(self) -> None:
        for broker in reversed(self.brokers):
            try:
                broker.close()
            finally:
                try:
                    broker.process.stop()
                except Exception:
                    broker.process.kill()
        self.brokers.clear()
        shutil.rmtree(self.root, ignore_errors=True)


class BrokerStartError(RuntimeError):
    """The broker exited or did not become ready; the message ends with its last log lines."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ailurus", "Ailurus broker (kafka_broker fixture)")
    group.addoption(
        "--ailurus-set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a cluster property for the kafka_broker fixture's broker (repeatable)",
    )
    parser.addini(
        "ailurus_cluster_properties",
        type="linelist",
        default=[],
        help="KEY=VALUE cluster properties for the kafka_broker fixture's broker, one a line",
    )
    parser.addini(
        "ailurus_topic_partitions", default="1", help="kafka_topic's default partition count"
    )
    parser.addini(
        "ailurus_start_timeout_s", default="30", help="seconds a broker may take to start"
    )


def _properties(lines: Sequence[str]) -> dict[str, str]:
    properties = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise pytest.UsageError(f"ailurus: expected KEY=VALUE, got {line!r}")
        properties[key.strip()] = value.strip()
    return properties


@pytest.fixture(scope="session")
def kafka_broker_factory(pytestconfig: pytest.Config) -> Iterator[KafkaBrokerFactory]:
    properties = _properties(
        [*pytestconfig.getini("ailurus_cluster_properties"), *pytestconfig.option.ailurus_set]
    )
    timeout_s = float(pytestconfig.getini("ailurus_start_timeout_s"))
    factory = KafkaBrokerFactory(properties, timeout_s)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="session")
def kafka_broker(kafka_broker_factory: KafkaBrokerFactory) -> KafkaBroker:
    return kafka_broker_factory()


@pytest.fixture
def kafka_topic(
    kafka_broker: KafkaBroker, request: pytest.FixtureRequest, pytestconfig: pytest.Config
) -> Iterator[Callable[..., str]]:
    default_partitions = int(pytestconfig.getini("ailurus_topic_partitions"))
    created: list[str] = []
    prefix = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name).strip("-.")[:_TOPIC_NAME_MAX]

    def make(
        name: str | None = None,
        partitions: int | None = None,
        config: Mapping[str, object] | None = None,
    ) -> str:
        topic = name or f"{prefix or 'topic'}-{uuid.uuid4().hex[:8]}"
        kafka_broker.create_topic(topic, partitions or default_partitions, config)
        created.append(topic)
        return topic

    yield make
    try:
        kafka_broker.delete_topics(created)
    except Exception:  # the broker may be gone: the session's teardown reports it
        pass
