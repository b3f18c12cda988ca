"""Building the audit log in the composition root (core.app), in one call."""

from __future__ import annotations

from typing import Any

from core.security.audit.log import AuditLog
from core.security.audit.writer import AuditWriter


def start_audit(app: Any) -> AuditLog:
    """The audit log of a BrokerApp, attached to its Kafka services (`services.audit`, read by
    core.server.context) and its SASL authenticator, following `audit_enabled` live. Call
    `stop()` on it before the partitions close."""
    config = app.cluster_config
    writer = AuditWriter(app.topics, app.partitions, config.get, app.cluster.member_count)
    services = app.services
    authorizer = services.authorizer
    audit = AuditLog(
        node_id=app.node_id,
        version=app.version,
        config_get=config.get,
        writer=writer,
        kafka_address=tuple(services.advertised_kafka),
        is_superuser=authorizer.is_superuser if authorizer is not None else lambda _p: False,
    )
    services.audit = audit
    if services.sasl is not None:
        services.sasl.audit = audit
    audit.start(config.subscribe)
    return audit
