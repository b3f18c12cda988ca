"""CreateTopics (19): validate_only, configs, explicit replica assignments (checked as Kafka
does: placement.validate and the partition numbering here), per-topic errors.

The request's `timeout_ms` bounds the wait for its topics, as Redpanda's handler bounds it
(kafka/server/handlers/create_topics.cc, `to_timeout`): the topics that passed validation are
submitted to the controller, each answering REQUEST_TIMED_OUT when its command was not applied
by the deadline (it may still be applied later: a retry then finds the topic); then the handler
waits, until the same deadline, for every partition of the created topics to have a leader,
and answers them successfully whether or not all leaders came in time (Redpanda's
`wait_for_topics` discards that timeout: the topic exists). As in Redpanda, `timeout_ms <= 0`
means no deadline: the answer waits for the creation and the leaders (here at most
MAX_WAIT_MS, and the controller bounds a command by its own submit timeout). Kafka instead
answers at once for `timeout_ms <= 0`. validate_only never waits.

Differences from Redpanda: a broker that does not lead the controller forwards the command
(Redpanda answers NOT_CONTROLLER); a controller leader without a quorum answers
REQUEST_TIMED_OUT at the deadline (Redpanda's linearizable barrier fails: NOT_CONTROLLER);
the topics are submitted one after another (Redpanda: together); the wait after creation is
for the partitions' leaders (Redpanda first waits for every replica's reconciliation too).
"""

from __future__ import annotations

import asyncio
import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from core.cluster import topic_config
from core.cluster.errors import ClusterError, error_message, to_error_code
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.quotas import MUTATIONS_REFUSED, mutations_owed_ms
from core.server.responses import ZERO, build, module_of

API_KEY = 19
MIN_VERSION = 2
MAX_VERSION = 7

SOURCE_DEFAULT = 5  # DEFAULT_CONFIG
SOURCE_TOPIC = 1  # DYNAMIC_TOPIC_CONFIG
CONFIGS_VERSION = 5  # the result describes the configs from v5
THROTTLING_VERSION = 6  # clients from v6 understand THROTTLING_QUOTA_EXCEEDED (KIP-599)
BOTH_SET = (
    "Both numPartitions or replicationFactor and replicasAssignments were set. "
    "Both cannot be used at the same time."
)
MAX_WAIT_MS = 600_000  # the longest a request waits for its topics (timeout_ms <= 0 included)
TIMED_OUT = "the topic was not created within timeout_ms; its creation may still complete"
_LEADER_POLL_FIRST_S = 0.01
_LEADER_POLL_MAX_S = 0.1


@dataclass(frozen=True)
class _Checked:
    """A topic that passed validation: what is submitted and described."""

    topic: Any
    partitions: int
    replication_factor: int
    configs: dict[str, str | None]
    clean: dict[str, str]
    assignments: list[list[int]] | None


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    deadline = asyncio.get_running_loop().time() + _wait_s(request.timeout)
    seen: dict[str, int] = {}
    for t in request.topics:
        seen[t.name] = seen.get(t.name, 0) + 1
    results: list[Any] = []
    to_create: dict[int, _Checked] = {}  # by position in the request
    throttle_ms = [0]  # the largest controller_mutation_rate throttle time of the topics
    for t in request.topics:
        if seen[t.name] > 1:
            results.append(
                _result(m, t.name, ErrorCode.invalid_request, "topic listed more than once")
            )
            continue
        checked = _check(ctx, m, t, request.validate_only, throttle_ms)
        if isinstance(checked, _Checked) and request.validate_only:
            checked = _created(ctx, m, checked, None)
        elif isinstance(checked, _Checked):
            to_create[len(results)] = checked  # its result once submitted
        results.append(checked)
    created = await _create_all(ctx, m, list(to_create.values()), deadline)
    for position, result in zip(to_create, created, strict=True):
        results[position] = result
    throttle = datetime.timedelta(milliseconds=throttle_ms[0]) if throttle_ms[0] else ZERO
    return build(ctx.response_class, throttle_time=throttle, topics=tuple(results))


def _wait_s(timeout: datetime.timedelta) -> float:
    """How long a request with this `timeout_ms` waits for its topics, in seconds: the
    timeout, or MAX_WAIT_MS when it is <= 0 (Redpanda's `to_timeout`: no deadline)."""
    timeout_ms = timeout // datetime.timedelta(milliseconds=1)
    if timeout_ms <= 0:
        return MAX_WAIT_MS / 1000
    return min(timeout_ms, MAX_WAIT_MS) / 1000


def _check(ctx: RequestContext, m, t, validate_only: bool, throttle_ms: list[int]):
    """The topic checked (_Checked), or the error result that answers it."""
    svc = ctx.services
    if not (
        ctx.authorized("CREATE", "CLUSTER", "kafka-cluster")
        or ctx.authorized("CREATE", "TOPIC", t.name)
    ):
        return _result(m, t.name, ErrorCode.topic_authorization_failed, None)
    assignments: list[list[int]] | None = None
    if t.assignments:
        if t.num_partitions != -1 or t.replication_factor != -1:
            return _result(m, t.name, ErrorCode.invalid_request, BOTH_SET)
        numbered = _assignments(t.assignments)
        if isinstance(numbered, str):
            return _result(m, t.name, ErrorCode.invalid_replica_assignment, numbered)
        assignments = numbered
    configs = {c.name: c.value for c in t.configs}
    try:
        partitions, rf, clean = svc.topics.check_create(
            t.name, t.num_partitions, t.replication_factor, configs, assignments
        )
    except ClusterError as exc:
        return _result(m, t.name, to_error_code(exc), error_message(exc))
    owed = 0 if validate_only else mutations_owed_ms(ctx, partitions)
    if owed:  # Redpanda: the topic is refused while its client's mutation budget owes
        throttle_ms[0] = max(throttle_ms[0], owed)
        code = ErrorCode.throttling_quota_exceeded
        if ctx.api_version < THROTTLING_VERSION:
            code = ErrorCode.unknown_server_error
        return _result(m, t.name, code, MUTATIONS_REFUSED)
    return _Checked(t, partitions, rf, configs, clean, assignments)


async def _create_all(ctx: RequestContext, m, topics: list[_Checked], deadline: float) -> list:
    """Submit `topics` one after another (each placed knowing the ones before it: Redpanda
    submits them together, its allocator reserving each one's replicas), then wait for the
    leaders of those created; their results."""
    if not topics:
        return []
    outcomes = [await _submit(ctx, c, deadline) for c in topics]
    created = [c.topic.name for c, o in zip(topics, outcomes, strict=True) if isinstance(o, str)]
    await _wait_for_leaders(ctx, created, deadline)
    return [
        _created(ctx, m, c, o) if isinstance(o, str) else _result(m, c.topic.name, *o)
        for c, o in zip(topics, outcomes, strict=True)
    ]


async def _submit(ctx: RequestContext, c: _Checked, deadline: float) -> str | tuple[ErrorCode, str]:
    """The new topic's id, or (error, message) when it was refused or not applied in time."""
    remaining_s = max(deadline - asyncio.get_running_loop().time(), 0.0)
    creation = ctx.services.topics.create_topic(
        c.topic.name,
        -1 if c.assignments else c.partitions,
        -1 if c.assignments else c.replication_factor,
        c.configs,
        c.assignments,
    )
    try:
        return await asyncio.wait_for(creation, remaining_s)
    except TimeoutError:
        return ErrorCode.request_timed_out, TIMED_OUT
    except ClusterError as exc:
        return to_error_code(exc), error_message(exc)


async def _wait_for_leaders(ctx: RequestContext, names: list[str], deadline: float) -> None:
    """Until every partition of `names` has a leader or the deadline passed (polled: the
    leaders table has no waiters)."""
    svc = ctx.services
    loop = asyncio.get_running_loop()
    pending = []
    for name in names:
        meta = svc.metadata.topic(name)
        pending += [(name, i) for i in range(meta.partitions if meta is not None else 0)]
    poll_s = _LEADER_POLL_FIRST_S
    while pending and loop.time() < deadline:
        pending = [(n, i) for n, i in pending if not _has_leader(ctx, n, i)]
        if pending:
            await asyncio.sleep(min(poll_s, max(deadline - loop.time(), 0.0)))
            poll_s = min(poll_s * 2, _LEADER_POLL_MAX_S)


def _has_leader(ctx: RequestContext, name: str, index: int) -> bool:
    view = ctx.services.partitions.describe(name, index)
    return view is not None and view.leader_id is not None


def _created(ctx: RequestContext, m, c: _Checked, topic_id: str | None):
    """The success result of a created (or, without `topic_id`, validated) topic."""
    described = (
        None
        if ctx.api_version < CONFIGS_VERSION
        else tuple(
            build(
                m.CreatableTopicConfigs,
                name=name,
                value=c.clean.get(
                    name, topic_config.cluster_default(name, ctx.services.cluster_config.get)
                ),
                read_only=False,
                config_source=SOURCE_TOPIC if name in c.clean else SOURCE_DEFAULT,
                is_sensitive=False,
            )
            for name in sorted(topic_config.PROPERTIES)
        )
    )
    return build(
        m.CreatableTopicResult,
        name=c.topic.name,
        topic_id=uuid.UUID(topic_id) if topic_id else uuid.UUID(int=0),
        error_code=ErrorCode.none,
        error_message=None,
        topic_config_error_code=0,
        num_partitions=c.partitions,
        replication_factor=c.replication_factor,
        configs=described,
    )


def _assignments(given) -> list[list[int]] | str:
    """The replica lists in partition order, or why they are refused (Kafka's checks:
    partitions numbered 0..n-1 once each)."""
    by_index: dict[int, list[int]] = {}
    for a in given:
        if a.partition_index in by_index:
            return f"partition {a.partition_index} is assigned twice"
        by_index[a.partition_index] = list(a.broker_ids)
    if sorted(by_index) != list(range(len(by_index))):
        return "partitions should be consecutive and start from 0"
    return [by_index[i] for i in range(len(by_index))]


def _result(m, name: str, code: ErrorCode, message: str | None):
    return build(
        m.CreatableTopicResult,
        name=name,
        topic_id=uuid.UUID(int=0),
        error_code=code,
        error_message=message,
        topic_config_error_code=0,
        num_partitions=-1,
        replication_factor=-1,
        configs=None,
    )
