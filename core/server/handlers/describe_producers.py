"""DescribeProducers (61): the active producers of partitions this broker leads (KIP-664),
as `rpk cluster txn describe-producers` and kafka-transactions.sh show them: producer id and
epoch, last sequence, last timestamp, coordinator epoch and the first offset of the open
transaction (-1: none), from the leader's producer state (core.cluster.producer_state).

Needs READ on the topic (TOPIC_AUTHORIZATION_FAILED); a partition led elsewhere is
NOT_LEADER_OR_FOLLOWER, an unknown one UNKNOWN_TOPIC_OR_PARTITION.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from core.cluster.errors import ClusterError, error_message, to_error_code
from core.cluster.producer_state import ProducerInfo
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._leader import led_partition
from core.server.responses import ZERO, build, module_of

API_KEY = 61
MIN_VERSION = 0
MAX_VERSION = 0


class _Producers(Protocol):
    def describe_producers(self) -> list[ProducerInfo]: ...


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    topics = []
    for topic in request.topics:
        allowed = ctx.authorized("READ", "TOPIC", topic.name)
        rows = tuple(_one(ctx, m, topic.name, i, allowed) for i in topic.partition_indexes)
        topics.append(build(m.TopicResponse, name=topic.name, partitions=rows))
    return build(ctx.response_class, throttle_time=ZERO, topics=tuple(topics))


def _one(ctx: RequestContext, m, topic: str, index: int, allowed: bool):
    def row(error: ErrorCode, message: str | None = None, producers: tuple = ()):
        return build(
            m.PartitionResponse,
            partition_index=index,
            error_code=error,
            error_message=message,
            active_producers=producers,
        )

    if not allowed:
        return row(ErrorCode.topic_authorization_failed)
    partition, error = led_partition(ctx.services, topic, index)
    if partition is None:
        return row(error)
    try:
        infos = cast(_Producers, partition).describe_producers()
    except ClusterError as exc:
        return row(to_error_code(exc), error_message(exc))
    producers = tuple(
        build(
            m.ProducerState,
            producer_id=p.producer_id,
            producer_epoch=p.producer_epoch,
            last_sequence=p.last_sequence,
            last_timestamp=p.last_timestamp,
            coordinator_epoch=p.coordinator_epoch,
            current_txn_start_offset=p.current_txn_start_offset,
        )
        for p in infos
    )
    return row(ErrorCode.none, None, producers)
