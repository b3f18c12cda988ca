"""A read-only view of cluster metadata for request handlers and the Admin API."""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass, replace
from typing import Protocol

from core.cluster.topic_table import TopicMeta, TopicTable


@dataclass(frozen=True, slots=True)
class KafkaEndpoint:
    """A broker's advertised address on one named Kafka listener ("": unnamed)."""

    name: str
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class BrokerInfo:
    node_id: int
    host: str  # the first listener's advertised address
    port: int
    rack: str | None
    rpc_host: str
    rpc_port: int
    listeners: tuple[KafkaEndpoint, ...] = ()  # every listener's; () when not known

    def on_listener(self, name: str | None) -> BrokerInfo | None:
        """This broker as told to a client that came in on listener `name`: host and port
        of its listener of that name, None when it has none (Kafka leaves such a broker
        out). Unchanged when `name` is None or its listeners are not known (registered
        before listeners had names)."""
        if name is None or not self.listeners:
            return self
        for endpoint in self.listeners:
            if endpoint.name == name:
                return replace(self, host=endpoint.host, port=endpoint.port)
        return None


class BrokerSource(Protocol):
    """The cluster's members (core.cluster.members.Members)."""

    def brokers(self) -> list[BrokerInfo]: ...


class MetadataView:
    """Brokers are the members table's (when one is given) that are alive (`alive`: heard
    from lately), with this node's own entry as it was bound (`set_brokers`), as Kafka lists
    only live brokers: a client told of a dead one may spend its request timeout dialing it
    (kafka-python's metadata refresh did, and rpk gave up); the controller is the controller group's leader (when
    `controller_leader` is given), else `controller_id`."""

    def __init__(
        self,
        topics: TopicTable,
        brokers: list[BrokerInfo],
        cluster_id: str,
        controller_id: int,
        *,
        members: BrokerSource | None = None,
        controller_leader: Callable[[], int | None] | None = None,
        alive: Callable[[int], bool] | None = None,
        maintenance: Container[int] = frozenset(),
    ) -> None:
        self._alive = alive or (lambda _node_id: True)
        self._topics = topics
        self._brokers = brokers
        self._members = members
        self._controller_leader = controller_leader
        self.cluster_id = cluster_id
        self._controller_id = controller_id
        # the nodes in maintenance mode (core.cluster.maintenance.MaintenanceTable): follower
        # fetching prefers none of them (core.cluster.replica_selector)
        self.maintenance = maintenance

    @property
    def controller_id(self) -> int:
        """The controller leader; while an election runs, the last one known (else this
        node): any node takes controller requests and forwards them to the leader, and a
        client told -1 waits for a metadata refresh before it asks anyone (librdkafka's
        CreateTopics timed out 'waiting for controller')."""
        if self._controller_leader is None:
            return self._controller_id
        leader = self._controller_leader()
        if leader is not None:
            self._controller_id = leader
        elif not self._alive(self._controller_id) and self._brokers:
            # the last leader is gone (not listed in Metadata): a client told of it would
            # wait for it ('waiting for controller'); this node forwards to the next one
            return self._brokers[0].node_id
        return self._controller_id

    def topic(self, name: str) -> TopicMeta | None:
        return self._topics.get(name)

    def topic_by_id(self, topic_id: str) -> TopicMeta | None:
        return self._topics.by_id(topic_id)

    def topics(self) -> list[TopicMeta]:
        return sorted(self._topics.topics.values(), key=lambda t: t.name)

    def set_brokers(self, brokers: list[BrokerInfo]) -> None:
        """This node's own entries (its listener as bound), kept over the members table's."""
        self._brokers = list(brokers)

    def set_members(self, members: BrokerSource) -> None:
        self._members = members

    def brokers(self) -> list[BrokerInfo]:
        if self._members is None:
            return list(self._brokers)
        local = {b.node_id: b for b in self._brokers}
        merged = {b.node_id: b for b in self._members.brokers() if self._alive(b.node_id)}
        merged.update(local)
        return [merged[n] for n in sorted(merged)]

    def broker(self, node_id: int) -> BrokerInfo | None:
        for b in self.brokers():
            if b.node_id == node_id:
                return b
        return None
