"""The Docker engine client (the `docker` SDK) and the names rpk container uses on it."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.errors import CliError

DOCKER_TIMEOUT_S = 60  # rpk: every Docker call has a 60 s deadline
NETWORK = "redpanda"
DEFAULT_SUBNET = "172.24.1.0/24"
DEFAULT_GATEWAY = "172.24.1.1"
CLUSTER_LABEL = "cluster-id"
CLUSTER_ID = "redpanda"
NODE_LABEL = "node-id"
NAME_FILTER = r"^/rp-((node-[\d])|console)+"
NODE_NAME = re.compile(r"^/?rp-node-(\d+)$")


class DockerUnavailable(CliError):
    """No Docker engine, or no permission on its socket."""


def node_name(node_id: int) -> str:
    return f"rp-node-{node_id}"


def connect():
    """A client of the engine rpk would use: DOCKER_HOST or the default socket, else the Docker
    CLI's current context; the API version negotiated; one line with the fix on failure."""
    import docker
    import docker.errors

    base_url = None
    if not os.environ.get("DOCKER_HOST") and not Path("/var/run/docker.sock").exists():
        base_url = _context_host()
    try:
        if base_url:
            client = docker.DockerClient(
                base_url=base_url, version="auto", timeout=DOCKER_TIMEOUT_S
            )
        else:
            client = docker.from_env(version="auto", timeout=DOCKER_TIMEOUT_S)
        client.ping()
    except docker.errors.DockerException as exc:
        raise DockerUnavailable(unavailable_text(exc)) from None
    return client


def unavailable_text(exc: BaseException) -> str:
    text = str(exc)
    if "Permission denied" in text or "PermissionError" in text:
        return (
            "unable to connect to docker: permission denied on its socket; add your user to "
            "the docker group (sudo usermod -aG docker $USER, then log in again) or run as root"
        )
    return (
        "unable to connect to docker: the daemon isn't running, you lack permission to reach "
        "it, or Docker isn't installed; start it (sudo systemctl start docker) or set DOCKER_HOST"
    )


def _context_host() -> str | None:
    """The endpoint of the Docker CLI's current context (DOCKER_CONTEXT or config.json)."""
    config_dir = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    name = os.environ.get("DOCKER_CONTEXT")
    if not name:
        try:
            name = json.loads((config_dir / "config.json").read_text()).get("currentContext")
        except (OSError, ValueError):
            return None
    if not name or name == "default":
        return None
    for meta in (config_dir / "contexts" / "meta").glob("*/meta.json"):
        try:
            doc = json.loads(meta.read_text())
        except (OSError, ValueError):
            continue
        if doc.get("Name") == name:
            return doc.get("Endpoints", {}).get("docker", {}).get("Host")
    return None


@dataclass(frozen=True, slots=True)
class NodeState:
    """One rp-node-* container as `docker inspect` shows it."""

    node_id: int
    name: str
    status: str  # docker's State.Status: running, exited, created...
    kafka: str | None  # host addresses, 127.0.0.1:<port>, or None when not bound
    admin: str | None
    proxy: str | None
    schema_registry: str | None
    container: Any  # docker.models.containers.Container

    @property
    def running(self) -> bool:
        return self.status == "running"


KAFKA_PORT_LABEL = "ailurus.kafka-port"  # the container port of the host-facing Kafka listener


def existing_nodes(client) -> list[NodeState]:
    """Every rp-node-* container, stopped ones too, sorted by node id."""
    nodes = []
    for c in client.containers.list(all=True, filters={"name": NAME_FILTER}):
        match = NODE_NAME.match(c.attrs.get("Name") or c.name)
        if match is None:
            continue
        bindings = c.attrs.get("HostConfig", {}).get("PortBindings") or {}
        kafka_port = c.labels.get(KAFKA_PORT_LABEL, "19092")
        nodes.append(
            NodeState(
                node_id=int(match.group(1)),
                name=c.name,
                status=c.attrs.get("State", {}).get("Status", c.status),
                kafka=_host_address(bindings, kafka_port),
                admin=_host_address(bindings, "9644"),
                proxy=_host_address(bindings, "8082"),
                schema_registry=_host_address(bindings, "8081"),
                container=c,
            )
        )
    return sorted(nodes, key=lambda n: n.node_id)


def _host_address(bindings: dict, container_port: str) -> str | None:
    entries = bindings.get(f"{container_port}/tcp") or []
    for entry in entries:
        if entry.get("HostPort"):
            return f"127.0.0.1:{entry['HostPort']}"
    return None


def find_network(client):
    import docker.errors

    try:
        return client.networks.get(NETWORK)
    except docker.errors.NotFound:
        return None
