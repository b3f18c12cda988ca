"""A read-only view of cluster metadata for request handlers and the Admin API."""

from __future__ import annotations

from dataclasses import dataclass

from core.cluster.topic_table import TopicMeta, TopicTable


@dataclass(frozen=True, slots=True)
class BrokerInfo:
    node_id: int
    host: str
    port: int
    rack: str | None
    rpc_host: str
    rpc_port: int


class MetadataView:
    def __init__(
        self, topics: TopicTable, brokers: list[BrokerInfo], cluster_id: str, controller_id: int
    ) -> None:
        self._topics = topics
        self._brokers = brokers
        self.cluster_id = cluster_id
        self.controller_id = controller_id

    def topic(self, name: str) -> TopicMeta | None:
        return self._topics.get(name)

    def topic_by_id(self, topic_id: str) -> TopicMeta | None:
        return self._topics.by_id(topic_id)

    def topics(self) -> list[TopicMeta]:
        return sorted(self._topics.topics.values(), key=lambda t: t.name)

    def set_brokers(self, brokers: list[BrokerInfo]) -> None:
        self._brokers = list(brokers)

    def brokers(self) -> list[BrokerInfo]:
        return list(self._brokers)
