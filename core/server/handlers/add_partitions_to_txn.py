"""AddPartitionsToTxn (24): partitions a transaction is about to write.

v0-v3: one transaction of the client. v4+: Kafka's broker form, a batch of transactions
(CLUSTER_ACTION), each answered on its own, with `verify_only` asking whether the partitions are
already in the transaction. Unknown partitions get UNKNOWN_TOPIC_OR_PARTITION and the others
OPERATION_NOT_ATTEMPTED, as Kafka answers.
"""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._txn import coordinator, fenced_error
from core.server.responses import ZERO, build, module_of

API_KEY = 24
MIN_VERSION = 0
MAX_VERSION = 5
PARTITIONS_PER_REQUEST_MAX = 100_000
TRANSACTIONS_PER_REQUEST_MAX = 10_000


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    if ctx.api_version < 4:
        topics = request.v3_and_below_topics
        errors = await _one(
            ctx,
            request.v3_and_below_transactional_id,
            request.v3_and_below_producer_id,
            request.v3_and_below_producer_epoch,
            topics,
            False,
        )
        return build(
            ctx.response_class,
            throttle_time=ZERO,
            results_by_topic_v3_and_below=_topic_results(m, topics, errors),
        )
    if not ctx.authorized("CLUSTER_ACTION", "CLUSTER", "kafka-cluster"):
        return build(
            ctx.response_class,
            throttle_time=ZERO,
            error_code=ErrorCode.cluster_authorization_failed,
            results_by_transaction=(),
        )
    results = []
    for txn in request.transactions[:TRANSACTIONS_PER_REQUEST_MAX]:
        errors = await _one(
            ctx,
            txn.transactional_id,
            txn.producer_id,
            txn.producer_epoch,
            txn.topics,
            txn.verify_only,
        )
        results.append(
            build(
                m.AddPartitionsToTxnResult,
                transactional_id=txn.transactional_id,
                topic_results=_topic_results(m, txn.topics, errors),
            )
        )
    return build(
        ctx.response_class,
        throttle_time=ZERO,
        error_code=ErrorCode.none,
        results_by_transaction=tuple(results),
    )


def _topic_results(m, topics, errors: dict[tuple[str, int], ErrorCode]) -> tuple:
    return tuple(
        build(
            m.AddPartitionsToTxnTopicResult,
            name=t.name,
            results_by_partition=tuple(
                build(
                    m.AddPartitionsToTxnPartitionResult,
                    partition_index=p,
                    partition_error_code=errors[(t.name, p)],
                )
                for p in t.partitions
            ),
        )
        for t in topics
    )


async def _one(
    ctx: RequestContext, tid: str, pid: int, epoch: int, topics, verify_only: bool
) -> dict[tuple[str, int], ErrorCode]:
    wanted = [(t.name, p) for t in topics for p in t.partitions]
    txn = coordinator(ctx)
    if txn is None or len(wanted) > PARTITIONS_PER_REQUEST_MAX:
        error = ErrorCode.invalid_request if txn is not None else ErrorCode.unsupported_version
        return dict.fromkeys(wanted, error)
    if not ctx.authorized("WRITE", "TRANSACTIONAL_ID", tid):
        return dict.fromkeys(wanted, ErrorCode.transactional_id_authorization_failed)
    errors: dict[tuple[str, int], ErrorCode] = {}
    for name, p in wanted:
        if not ctx.authorized("WRITE", "TOPIC", name):
            errors[(name, p)] = ErrorCode.topic_authorization_failed
            continue
        meta = ctx.services.metadata.topic(name)
        if meta is None or not 0 <= p < meta.partitions:
            errors[(name, p)] = ErrorCode.unknown_topic_or_partition
    if errors:
        return {tp: errors.get(tp, ErrorCode.operation_not_attempted) for tp in wanted}
    if verify_only:  # answered per partition: which of them the transaction holds
        return {
            tp: await txn.add_partitions(tid, pid, epoch, [tp], fenced_error(ctx), True)
            for tp in wanted
        }
    error = await txn.add_partitions(tid, pid, epoch, wanted, fenced_error(ctx))
    return dict.fromkeys(wanted, error)
