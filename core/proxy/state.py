"""What every proxy handler shares: the Kafka clients, the consumer instances, the bounds."""

from __future__ import annotations

from dataclasses import dataclass

from core.proxy.consumers import ConsumerManager
from core.proxy.kafka import KafkaSide
from core.proxy.local_produce import LocalAppender
from core.proxy.local_read import InstanceReader
from core.proxy.registry import RegistryClient
from core.proxy.user_clients import UserClients


@dataclass(frozen=True, slots=True)
class Limits:
    max_body_bytes: int = 8 * 1024 * 1024
    max_records_per_request: int = 10_000
    max_records_per_response: int = 10_000
    max_response_bytes: int = 64 * 1024 * 1024
    default_response_bytes: int = 8 * 1024 * 1024
    max_fetch_timeout_ms: int = 60_000
    max_consumer_instances: int = 100
    consumer_instance_timeout_ms: int = 300_000


@dataclass(slots=True)
class ProxyState:
    kafka: KafkaSide
    consumers: ConsumerManager
    limits: Limits
    registry: RegistryClient
    local: LocalAppender  # partitions this broker leads take batches directly
    reads: InstanceReader  # and are read from their logs directly
    users: UserClients  # http_basic: each user's own Kafka clients
