"""The broker's Kafka front end, a base of core.app.BrokerApp: the services the Kafka request
handlers are given, the kafka_api listeners, and the addresses this node advertises (Metadata,
register_node) once their ports are bound."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from core.cluster.config_frontend import ClusterConfigFrontend
from core.cluster.id_allocator import ProducerIdAllocator
from core.cluster.metadata import BrokerInfo, KafkaEndpoint, MetadataView
from core.cluster.moves_runtime import MovesRuntime
from core.cluster.partition_manager import PartitionManager
from core.cluster.quotas import QuotaStore
from core.cluster.topics import TopicsFrontend
from core.config.cluster_properties import ClusterConfigStore
from core.config.node import Address, NodeConfig
from core.groups.coordinator import GroupCoordinator
from core.security import tls
from core.security.acls import AclStore
from core.security.authorizer import Authorizer
from core.security.sasl import SaslAuthenticator
from core.security.users import UserFrontend
from core.server.context import Services
from core.server.listener import KafkaListeners
from core.server.quotas import ClientQuotas


class KafkaFrontEnd:
    # set by BrokerApp.start before these methods run
    node: NodeConfig
    node_id: int
    data_dir: Path
    metadata: MetadataView
    topics: TopicsFrontend
    partitions: PartitionManager
    cluster_config: ClusterConfigStore
    producer_ids: ProducerIdAllocator
    config_frontend: ClusterConfigFrontend
    users: UserFrontend
    acls: AclStore
    replica_moves: MovesRuntime
    client_quotas: QuotaStore
    services: Services
    listener: KafkaListeners

    def _kafka_services(self, groups: GroupCoordinator) -> Services:
        """What the Kafka request handlers may use (core.server.ports)."""
        kafka = self.node.kafka_advertised
        return Services(
            node_id=self.node_id,
            advertised_kafka=(kafka.host, kafka.port),
            cluster_id=self.metadata.cluster_id,
            metadata=self.metadata,
            topics=self.topics,
            partitions=self.partitions,
            cluster_config=self.cluster_config,
            producer_ids=self.producer_ids,
            data_dir=self.data_dir,
            groups=groups,
            config_frontend=self.config_frontend,
            sasl=SaslAuthenticator(self.users, self.cluster_config.get),
            authorizer=Authorizer(
                self.acls, self.cluster_config.get, self.cluster_config.subscribe
            ),
            acls=self.acls,
            replica_moves=self.replica_moves,
            client_quotas=ClientQuotas(self.client_quotas, self.cluster_config.get),
        )

    # A listener that cannot bind is an OSError naming it (filename) and its address
    # (filename2), which core.__main__ reports in one line.
    async def _start_kafka(self) -> None:
        """Serve every kafka_api entry (the first one's port is `kafka_port`), each with its
        authentication method and TLS; stop() stops them all."""
        self.listener = listeners = KafkaListeners(self.services)
        for config in self.node.kafka_listeners:
            api, api_tls = config.address, config.tls
            listener = listeners.make(
                api.host,
                api.port,
                name=config.name,
                authentication_method=config.authentication_method,
                ssl_context=tls.server_context(api_tls) if api_tls else None,
            )
            try:
                await listeners.start(listener)
            except OSError as exc:
                await listeners.stop()
                raise OSError(exc.errno, exc.strerror, "kafka", None, str(api)) from None
        self._advertise_bound_port()
        self.services.kafka_api = (self.node.kafka_api.host, self.listener.port)

    def _kafka_bootstrap(self) -> str:
        """Where this process's own clients (proxy, registry) reach its Kafka listener."""
        host = self.node.kafka_api.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"{host}:{self.listener.port}"

    def _advertise_bound_port(self) -> None:
        """With an ephemeral listener (port 0) clients must be told the port actually bound:
        the extra listeners' config is updated with it (register_node reads it there)."""
        bound = [
            replace(config, advertised=Address(config.advertised.host, listener.port))
            if config.advertised.port == 0
            else config
            for config, listener in zip(
                self.node.kafka_listeners, self.listener.listeners, strict=True
            )
        ]
        self.node.kafka_extra_listeners = bound[1:]
        first = bound[0].advertised
        self.services.advertised_kafka = (first.host, first.port)
        self.services.advertised_listeners = {
            x.name: (x.advertised.host, x.advertised.port) for x in bound
        }
        self.metadata.set_brokers([self._broker_info(first.port)])

    def _broker_info(self, kafka_port: int) -> BrokerInfo:
        """This node's Metadata entry: the first listener's advertised address with
        `kafka_port`, and every listener's by name."""
        node = self.node
        rpc = node.rpc_server
        first, *others = node.kafka_listeners
        endpoints = (KafkaEndpoint(first.name, first.advertised.host, kafka_port),) + tuple(
            KafkaEndpoint(x.name, x.advertised.host, x.advertised.port) for x in others
        )
        return BrokerInfo(
            self.node_id,
            first.advertised.host,
            kafka_port,
            node.rack,
            rpc.host,
            rpc.port,
            endpoints,
        )
