"""ElectLeaders (43): preferred-leader elections (v0 has no type: preferred); unclean ones are
refused (core.cluster.elections). Needs ALTER on CLUSTER. Null topic_partitions: every
partition whose preferred replica does not lead."""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 43
MIN_VERSION = 0
MAX_VERSION = 2


def _asked(request: Any, elections: Any) -> list[tuple[str, int]]:
    if request.topic_partitions is None:
        return elections.all_partitions()
    return [(t.topic, int(p)) for t in request.topic_partitions for p in t.partitions]


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    runtime = ctx.services.replica_moves
    extra = {} if ctx.api_version < 1 else {"error_code": ErrorCode.none}
    if runtime is None or not ctx.authorized("ALTER", "CLUSTER", "kafka-cluster"):
        if ctx.api_version >= 1:
            extra["error_code"] = ErrorCode.cluster_authorization_failed
        return build(ctx.response_class, throttle_time=ZERO, replica_election_results=(), **extra)
    election_type = getattr(request, "election_type", 0)
    by_topic: dict[str, list] = {}
    everything = request.topic_partitions is None
    for topic, partition in _asked(request, runtime.elections):
        code, message = await runtime.elections.elect(topic, partition, election_type)
        if everything and code == ErrorCode.election_not_needed:
            continue
        by_topic.setdefault(topic, []).append(
            build(m.PartitionResult, partition_id=partition, error_code=code, error_message=message)
        )
    results = tuple(
        build(m.ReplicaElectionResult, topic=topic, partition_result=tuple(parts))
        for topic, parts in by_topic.items()
    )
    return build(ctx.response_class, throttle_time=ZERO, replica_election_results=results, **extra)
