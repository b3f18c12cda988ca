"""What a handler sees of a request: its header, version and the broker's services.

A handler is `async def handle(ctx: RequestContext, request) -> response` in a module of
core.server.handlers listed in core.server.dispatch.HANDLER_TABLE. It reaches the broker only
through `ctx.services` (the Protocols of core.server.ports) and answers with the helpers of
core.server.responses; it never imports the connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.protocol.codec import response_class
from core.security.acls import AclStore
from core.security.sasl import ANONYMOUS, SaslAuthenticator, SaslSession
from core.server.ports import (
    Authorizer,
    ConfigReader,
    ConfigWriter,
    Groups,
    MetadataSource,
    Partitions,
    ProducerIds,
    TopicAdmin,
)
from core.transactions.coordinator import TransactionCoordinator


@dataclass(slots=True)
class Services:
    """The broker's services, built by the composition root (core.app)."""

    node_id: int
    advertised_kafka: tuple[str, int]  # host, port clients are told (Metadata, FindCoordinator)
    cluster_id: str
    metadata: MetadataSource
    topics: TopicAdmin
    partitions: Partitions
    cluster_config: ConfigReader
    producer_ids: ProducerIds
    data_dir: Path
    groups: Groups
    config_frontend: ConfigWriter
    kafka_api: tuple[str, int] | None = None  # host, port the Kafka listener bound, once bound
    sasl: SaslAuthenticator | None = None  # None: no SASL (every listener is `none`)
    authorizer: Authorizer | None = None  # None: everything is allowed
    acls: AclStore | None = None  # the ACL table (Create/Describe/DeleteAcls); None: disabled
    client_quotas: Any = None  # core.server.quotas.ClientQuotas: the quota table and enforcement
    transactions: TransactionCoordinator | None = None  # core.transactions; None: off
    replica_moves: Any = None  # core.cluster.moves_runtime.MovesRuntime (reassignments, elections)
    audit: Any = None  # core.security.audit.log.AuditLog; None: nothing is audited
    # listener name -> host, port clients on that listener are told (empty: advertised_kafka)
    advertised_listeners: dict[str, tuple[str, int]] = field(default_factory=dict)

    def advertised_on(self, listener: str | None) -> tuple[str, int]:
        """This broker's address for a client on `listener` (its first listener's when the
        name is unknown)."""
        if listener is None:
            return self.advertised_kafka
        return self.advertised_listeners.get(listener, self.advertised_kafka)


@dataclass(slots=True)
class RequestContext:
    api_key: int
    api_version: int
    correlation_id: int
    header: Any
    services: Services
    peer: str
    session: SaslSession | None = None  # the connection's SASL state on a SASL listener
    listener: str | None = None  # the name of the Kafka listener the request came in on

    @property
    def principal(self) -> str:
        """ "User:name" after SASL, "User:ANONYMOUS" without."""
        session = self.session
        return session.principal if session and session.principal else ANONYMOUS

    @property
    def host(self) -> str:
        """The client's address, for ACL host matching."""
        return self.peer.rsplit(":", 1)[0].strip("[]")

    def authorized(self, operation: str, resource_type: str, name: str) -> bool:
        """Whether this request's principal may do `operation` on the resource (core.security
        .authorizer; operation and resource type as Kafka names them, e.g. "WRITE", "TOPIC").
        With auditing on, the decision is audited (core.security.audit): an event that cannot
        be queued denies the request, as Redpanda does."""
        allowed = self._decide(operation, resource_type, name)
        audit = self.services.audit
        if audit is None:
            return allowed
        return audit.authorized(self, operation, resource_type, name, allowed)

    def _decide(self, operation: str, resource_type: str, name: str) -> bool:
        authorizer = self.services.authorizer
        if authorizer is None:
            return True
        if self.session is not None:  # the connection's earlier decisions first
            return authorizer.authorize_for(
                self.session.decisions, self, operation, resource_type, name
            )
        return authorizer.authorize(self.principal, self.host, operation, resource_type, name)

    def authorized_operations(self, resource_type: str, name: str, operations: tuple) -> int:
        """Kafka's authorized-operations bit field (bit n: operation code n) for a resource."""
        return sum(1 << code for op, code in operations if self.authorized(op, resource_type, name))

    def authorized_any(self, operation: str, resource_type: str) -> bool:
        """Whether some resource of the type allows `operation` (KIP-679)."""
        authorizer = self.services.authorizer
        if authorizer is None:
            return True
        return authorizer.authorize_any(self.principal, self.host, operation, resource_type)

    @property
    def response_class(self) -> type:
        return response_class(self.api_key, self.api_version)

    @property
    def client_id(self) -> str | None:
        return getattr(self.header, "client_id", None)
