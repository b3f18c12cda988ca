"""One Kafka Metadata request (v8) to one broker over a plain socket: what a test harness needs
to know which node leads a partition, without a client library's caching and retries."""

from __future__ import annotations

import io
import socket
import struct
from dataclasses import dataclass, field
from typing import Any

from kio.index import load_response_schema
from kio.schema.metadata.v8.request import MetadataRequest, MetadataRequestTopic
from kio.schema.types import TopicName
from kio.serial import entity_reader, entity_writer
from kio.static.primitive import i32

METADATA_TIMEOUT_S = 3.0
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    topic: str
    partition: int
    error_code: int
    leader: int
    leader_epoch: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


@dataclass(slots=True)
class ClusterMetadata:
    brokers: dict[int, tuple[str, int]]  # node id -> (host, port)
    controller_id: int
    partitions: dict[tuple[str, int], PartitionInfo] = field(default_factory=dict)
    topic_errors: dict[str, int] = field(default_factory=dict)

    def partition(self, topic: str, partition: int) -> PartitionInfo:
        """KeyError when the broker did not describe it (naming the topic's error code)."""
        try:
            return self.partitions[(topic, partition)]
        except KeyError:
            code = self.topic_errors.get(topic)
            raise KeyError(f"{topic}/{partition} not in metadata (topic error {code})") from None


def fetch_metadata(
    port: int,
    topics: list[str] | None,
    *,
    host: str = "127.0.0.1",
    timeout_s: float = METADATA_TIMEOUT_S,
) -> ClusterMetadata:
    """Metadata of `topics` (None: every topic, []: none) as the broker at host:port answers."""
    request = MetadataRequest(
        topics=None
        if topics is None
        else tuple(MetadataRequestTopic(name=TopicName(t)) for t in topics),
        allow_auto_topic_creation=False,
        include_cluster_authorized_operations=False,
        include_topic_authorized_operations=False,
    )
    response = _exchange(host, port, request, timeout_s)
    out = ClusterMetadata(
        brokers={b.node_id: (b.host, b.port) for b in response.brokers},
        controller_id=int(response.controller_id),
    )
    for t in response.topics:
        out.topic_errors[str(t.name)] = int(t.error_code.value)
        for p in t.partitions:
            out.partitions[(str(t.name), int(p.partition_index))] = PartitionInfo(
                topic=str(t.name),
                partition=int(p.partition_index),
                error_code=int(p.error_code.value),
                leader=int(p.leader_id),
                leader_epoch=int(p.leader_epoch),
                replicas=tuple(int(r) for r in p.replica_nodes),
                isr=tuple(int(r) for r in p.isr_nodes),
            )
    return out


def _exchange(host: str, port: int, request: MetadataRequest, timeout_s: float) -> Any:
    header_cls = request.__header_schema__
    header = header_cls(
        request_api_key=request.__api_key__,
        request_api_version=request.__version__,
        correlation_id=i32(1),
        client_id="ailurus-cluster-harness",
    )
    buf = io.BytesIO()
    entity_writer(header_cls)(buf, header)
    entity_writer(MetadataRequest)(buf, request)
    payload = buf.getvalue()
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.sendall(struct.pack(">i", len(payload)) + payload)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        if not 0 < size <= MAX_RESPONSE_BYTES:
            raise ValueError(f"metadata response of {size} bytes")
        frame = _recv_exact(sock, size)
    response_cls = load_response_schema(request.__api_key__, request.__version__)
    resp_header, used = entity_reader(response_cls.__header_schema__)(frame, 0)
    if resp_header.correlation_id != 1:
        raise ValueError("metadata response with another correlation id")
    response, _ = entity_reader(response_cls)(frame, used)
    return response


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        buf += chunk
    return bytes(buf)
