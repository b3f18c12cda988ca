"""Each node's container: its static address, its broker arguments and its creation.

Node `id` sits at <gateway's first three octets>.<gateway's last octet + id + 1> on network
`redpanda` (172.24.1.2 for node 0), named rp-node-<id>, host and alias alike, as rpk does.

Listeners inside a container:
- Kafka `external`: 0.0.0.0:<host kafka port>, advertised 127.0.0.1:<host kafka port>, published
  on the same host port. The container port equals the host port so that the advertised
  address also reaches this broker from inside its own container: the broker serves its first
  Kafka listener only today, and its HTTP proxy and Schema Registry are Kafka clients of it.
- Kafka `internal`: 0.0.0.0:19092, advertised <ip>:19092, for clients in other containers once
  the broker serves several named listeners (listed second, so today's broker skips it).
- Admin 9644, HTTP proxy 8082, Schema Registry 8081, published on their host ports.
- RPC <ip>:33145 (advertised the same), published on the host RPC port; seed_servers lists every
  node's RPC address (the founders), so N containers started together form one cluster.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass

from cli.config.redpanda_yaml import DEV_CONTAINER_PROPERTIES
from cli.container.engine import (
    CLUSTER_ID,
    CLUSTER_LABEL,
    KAFKA_PORT_LABEL,
    NETWORK,
    NODE_LABEL,
    node_name,
)
from cli.container.ports import NodePorts
from cli.errors import UsageError

INTERNAL_KAFKA_PORT = 19092
CONTAINER_MEMORY = "1g"
ADMIN_PORT = 9644
PROXY_PORT = 8082
SCHEMA_REGISTRY_PORT = 8081
RPC_PORT = 33145
DATA_DIR = "/var/lib/redpanda/data"
# dev-container properties this broker does not have (it would log a warning for each).
NOT_IN_BROKER = frozenset({"fetch_reads_debounce_timeout", "storage_min_free_bytes"})


@dataclass(frozen=True, slots=True)
class NodeSpec:
    node_id: int
    ip: str
    ports: NodePorts

    @property
    def name(self) -> str:
        return node_name(self.node_id)


def node_ip(gateway: str, node_id: int) -> str:
    try:
        gw = ipaddress.IPv4Address(gateway)
    except ValueError:
        raise UsageError(f"--gateway: {gateway!r} is not an IPv4 address") from None
    return str(gw + node_id + 1)


def specs(gateway: str, subnet: str, ports: list[NodePorts]) -> list[NodeSpec]:
    try:
        net = ipaddress.IPv4Network(subnet)
    except ValueError as exc:
        raise UsageError(f"--subnet: {exc}") from None
    nodes = [NodeSpec(i, node_ip(gateway, i), p) for i, p in enumerate(ports)]
    for node in nodes:
        if ipaddress.IPv4Address(node.ip) not in net:
            raise UsageError(
                f"--subnet {subnet} has no room for node {node.node_id} at {node.ip}; "
                "use a larger --subnet or fewer nodes"
            )
        if node.ports.kafka == INTERNAL_KAFKA_PORT:
            raise UsageError(
                f"kafka port {INTERNAL_KAFKA_PORT} is the containers' internal Kafka listener; "
                "choose other ports with --kafka-ports"
            )
    return nodes


def _yaml(value) -> str:
    return json.dumps(value)  # JSON is YAML; --set parses its value as YAML


def broker_args(node: NodeSpec, cluster: list[NodeSpec], user_sets: list[str]) -> list[str]:
    """The broker's arguments (the image's entrypoint is `ailurus`): developer container mode,
    then the user's --set pairs, which win."""
    kafka = [
        {"name": "external", "address": "0.0.0.0", "port": node.ports.kafka},
        {"name": "internal", "address": "0.0.0.0", "port": INTERNAL_KAFKA_PORT},
    ]
    advertised = [
        {"name": "external", "address": "127.0.0.1", "port": node.ports.kafka},
        {"name": "internal", "address": node.ip, "port": INTERNAL_KAFKA_PORT},
    ]
    seeds = [{"host": {"address": n.ip, "port": RPC_PORT}} for n in cluster]
    args = [
        "--data-dir",
        DATA_DIR,
        "--node-id",
        str(node.node_id),
        "--dev",
        "--admin-addr",
        f"0.0.0.0:{ADMIN_PORT}",
        "--rpc-addr",
        f"{node.ip}:{RPC_PORT}",
        "--advertise-rpc-addr",
        f"{node.ip}:{RPC_PORT}",
        "--pandaproxy-addr",
        f"0.0.0.0:{PROXY_PORT}",
        "--schema-registry-addr",
        f"0.0.0.0:{SCHEMA_REGISTRY_PORT}",
        "--set",
        f"redpanda.kafka_api={_yaml(kafka)}",
        "--set",
        f"redpanda.advertised_kafka_api={_yaml(advertised)}",
        "--set",
        f"redpanda.seed_servers={_yaml(seeds)}",
    ]
    # The in-broker HTTP proxy and Schema Registry are Kafka clients too: they start from the
    # internal listener (this node first), whose Metadata names addresses that containers reach.
    internal = [
        {"address": n.ip, "port": INTERNAL_KAFKA_PORT}
        for n in [node, *(m for m in cluster if m is not node)]
    ]
    args += ["--set", f"pandaproxy_client.brokers={_yaml(internal)}"]
    args += ["--set", f"schema_registry_client.brokers={_yaml(internal)}"]
    for key, value in DEV_CONTAINER_PROPERTIES.items():
        if key in NOT_IN_BROKER:
            continue
        args += ["--set", f"redpanda.{key}={_yaml(value)}"]
    for pair in user_sets:
        args += ["--set", pair]
    return args


def create(client, image: str, node: NodeSpec, cluster: list[NodeSpec], user_sets: list[str]):
    """Create (not start) the node's container on the `redpanda` network at its address."""
    p = node.ports
    endpoint = client.api.create_endpoint_config(ipv4_address=node.ip, aliases=[node.name])
    return client.containers.create(
        image,
        command=broker_args(node, cluster, user_sets),
        name=node.name,
        hostname=node.name,
        labels={
            CLUSTER_LABEL: CLUSTER_ID,
            NODE_LABEL: str(node.node_id),
            KAFKA_PORT_LABEL: str(p.kafka),
        },
        ports={
            f"{p.kafka}/tcp": p.kafka,
            f"{ADMIN_PORT}/tcp": p.admin,
            f"{PROXY_PORT}/tcp": p.proxy,
            f"{SCHEMA_REGISTRY_PORT}/tcp": p.schema_registry,
            f"{RPC_PORT}/tcp": p.rpc,
        },
        network=NETWORK,
        networking_config={NETWORK: endpoint},
        mem_limit=CONTAINER_MEMORY,  # dev-container mode's small memory (rpk: --memory 1G)
        detach=True,
    )
