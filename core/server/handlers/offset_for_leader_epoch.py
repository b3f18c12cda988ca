"""OffsetForLeaderEpoch (23): the end offset of a leader epoch (Raft term)."""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._leader import led_partition
from core.server.responses import ZERO, build, module_of

API_KEY = 23
MIN_VERSION = 2
MAX_VERSION = 4


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    topics = []
    for t in request.topics:
        rows = [_one(ctx, m, t.topic, p) for p in t.partitions]
        topics.append(build(m.OffsetForLeaderTopicResult, topic=t.topic, partitions=tuple(rows)))
    return build(ctx.response_class, throttle_time=ZERO, topics=tuple(topics))


def _one(ctx: RequestContext, m, topic: str, p):
    def row(code: ErrorCode, epoch: int = -1, end: int = -1):
        return build(
            m.EpochEndOffset,
            error_code=code,
            partition=p.partition,
            leader_epoch=epoch,
            end_offset=end,
        )

    if not ctx.authorized("DESCRIBE", "TOPIC", topic):
        return row(ErrorCode.topic_authorization_failed)
    partition, error = led_partition(ctx.services, topic, p.partition)
    if partition is None:
        return row(error)
    current = partition.leader_epoch
    if p.current_leader_epoch >= 0 and p.current_leader_epoch != current:
        return row(
            ErrorCode.fenced_leader_epoch
            if p.current_leader_epoch < current
            else ErrorCode.unknown_leader_epoch
        )
    epoch, end = partition.epoch_end_offset(p.leader_epoch)
    if epoch == current:
        end = partition.high_watermark
    return row(ErrorCode.none, epoch, end)
