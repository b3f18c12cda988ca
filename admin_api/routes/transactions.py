"""Transactions, as Redpanda's Admin API shows them (transaction.json, the partition's
mark_transaction_expired, get_transactions, delete_partition): the transactions of one
coordinator partition, the coordinator of a transactional id, aborting a transaction now, the
open transactions of one data partition (on its leader), and dropping a partition from a
transaction (the repair for a partition deleted under an ongoing transaction).

The broker's services expose `transactions` (core.transactions.coordinator.TransactionCoordinator,
used duck-typed: the Admin API does not import the broker's internals).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from kio.schema.errors import ErrorCode

from admin_api.spec import INT, OBJ, STR, SUPERUSER, RouteList, json_response, services
from core.http import HttpError, bad_request, int_param, not_found
from core.transactions.admin_view import NotLeaderHere, PartitionTxn, partition_transactions
from core.transactions.state import TxnMetadata, TxnState

routes = RouteList("transactions")
TXN_TOPIC = "__transaction_state"
_ARRAY = {"type": "array", "items": OBJ}
_STATUS = {
    TxnState.EMPTY: "empty",
    TxnState.ONGOING: "ongoing",
    TxnState.PREPARE_COMMIT: "preparing_commit",
    TxnState.PREPARE_ABORT: "preparing_abort",
    TxnState.COMPLETE_COMMIT: "completed_commit",
    TxnState.COMPLETE_ABORT: "completed_abort",
    TxnState.PREPARE_EPOCH_FENCE: "expired",
    TxnState.DEAD: "tombstone",
}


def _coordinator(request: web.Request) -> Any:
    txn = getattr(services(request), "transactions", None)
    if txn is None:
        raise bad_request("Transaction are disabled")
    return txn


def _summary(meta: TxnMetadata, etag: int, now_ms: int) -> dict:
    return {
        "transactional_id": meta.transactional_id,
        "pid": {"id": meta.producer_id, "epoch": meta.producer_epoch},
        "tx_seq": 0,
        "etag": etag,
        "status": _STATUS[meta.state],
        "timeout_ms": meta.timeout_ms,
        "staleness_ms": max(now_ms - meta.update_ms, 0) if meta.update_ms >= 0 else 0,
        "partitions": [
            {"ns": "kafka", "topic": topic, "partition_id": partition, "etag": etag}
            for topic, partition in sorted(meta.partitions)
        ],
        "groups": [],
    }


@routes.get(
    "/v1/transactions",
    summary="Get a list of transactions (of one coordinator partition)",
    query={"coordinator_partition_id": INT},
    response=_ARRAY,
)
async def get_all_transactions(request: web.Request) -> web.Response:
    txn = _coordinator(request)
    raw = request.query.get("coordinator_partition_id", "")
    try:
        partition = int(raw)
    except ValueError:
        raise bad_request(f"Partition must be an integer: {raw}") from None
    if partition < 0 or partition >= txn.partition_count:
        raise bad_request(f"Invalid coordinator partition {partition}")
    found = txn.partition_transactions(partition)
    if found is None:
        raise HttpError(503, f"this node does not coordinate {TXN_TOPIC}/{partition}")
    etag, now_ms = txn.coordinator_epoch_of(partition), txn.clock.now_ms()
    return json_response([_summary(m, etag, now_ms) for m in found if m.state is not TxnState.DEAD])


@routes.get(
    "/v1/transaction/{transactional_id}/find_coordinator",
    summary="Get tx coordinator by tx.id",
    response=OBJ,
)
async def find_coordinator(request: web.Request) -> web.Response:
    txn = _coordinator(request)
    tid = request.match_info["transactional_id"]
    error, node = txn.coordinator_for(tid)
    reply: dict[str, Any] = {
        "ntp": {"ns": "kafka", "topic": TXN_TOPIC, "partition": txn.partition_of(tid)},
        "ec": int(error),
    }
    if node >= 0:
        reply["coordinator"] = node
    return json_response(reply)


@routes.post(
    "/v1/partitions/{namespace}/{topic}/{partition}/mark_transaction_expired",
    summary="Mark transaction expired for partition (abort it now)",
    auth=SUPERUSER,
    path_types={"partition": INT},
    query={"id": INT, "epoch": INT},
    response=OBJ,
)
async def mark_transaction_expired(request: web.Request) -> web.Response:
    txn = _coordinator(request)
    topic = request.match_info["topic"]
    partition = int_param(request.match_info["partition"], "partition")
    if request.match_info["namespace"] != "kafka":
        raise not_found(f"partition {request.match_info['namespace']}/{topic}/{partition}")
    pid = int_param(request.query.get("id", ""), "id", maximum=2**63 - 1)
    epoch = int_param(request.query.get("epoch", ""), "epoch", maximum=32767)
    meta = txn.find_producer(pid, epoch)
    if meta is None or (topic, partition) not in meta.partitions:
        raise bad_request(
            f"no ongoing transaction of producer {pid}/{epoch} on {topic}/{partition}"
        )
    error = await txn.mark_expired(meta.transactional_id)
    if int(error) != 0:
        raise bad_request(f"cannot expire the transaction: {error.name}")
    return json_response({})


def _txn_json(t: PartitionTxn) -> dict:
    return {
        "producer_id": {"id": t.producer_id, "epoch": t.producer_epoch},
        "status": t.status,
        "lso_bound": t.lso_bound,
        "staleness_ms": t.staleness_ms,
        "timeout_ms": t.timeout_ms,
    }


@routes.get(
    "/v1/partitions/{namespace}/{topic}/{partition}/transactions",
    summary="Get all transactions for partition",
    path_types={"partition": INT},
    response=OBJ,
)
async def get_transactions(request: web.Request) -> web.Response:
    txn = _coordinator(request)
    topic = request.match_info["topic"]
    partition = int_param(request.match_info["partition"], "partition")
    ntp = f"{request.match_info['namespace']}/{topic}/{partition}"
    if request.match_info["namespace"] != "kafka":
        raise not_found(f"partition {ntp} not found")
    try:
        found = partition_transactions(txn, topic, partition)
    except NotLeaderHere as exc:
        raise HttpError(503, f"partition {ntp}: this node is not its leader ({exc})") from None
    if found is None:
        raise not_found(f"partition {ntp} not found")
    return json_response(
        {
            "active_transactions": [_txn_json(t) for t in found if not t.expired],
            "expired_transactions": [_txn_json(t) for t in found if t.expired],
        }
    )


_ERRORS = {
    ErrorCode.transactional_id_not_found: (404, "transactional id {tid} not found"),
    ErrorCode.unknown_topic_or_partition: (404, "partition {ntp} is not in transaction {tid}"),
    ErrorCode.not_coordinator: (503, "this node does not coordinate transactional id {tid}"),
    ErrorCode.coordinator_load_in_progress: (503, "coordinator of {tid} is still loading"),
    ErrorCode.coordinator_not_available: (503, "Coordinator not available"),
}


@routes.post(
    "/v1/transaction/{transactional_id}/delete_partition",
    summary="Delete partition from transaction",
    auth=SUPERUSER,
    query={"namespace": STR, "topic": STR, "partition_id": INT, "etag": INT},
    response=OBJ,
)
async def delete_partition(request: web.Request) -> web.Response:
    txn = _coordinator(request)
    tid = request.match_info["transactional_id"]
    query = request.query
    for name in ("namespace", "topic", "partition_id", "etag"):
        if not query.get(name):
            raise bad_request(f"missing query parameter {name}")
    partition = int_param(query["partition_id"], "partition_id")
    etag = int_param(query["etag"], "etag", maximum=2**63 - 1)
    ntp = f"{query['namespace']}/{query['topic']}/{partition}"
    if query["namespace"] != "kafka":
        raise not_found(f"partition {ntp} is not in transaction {tid}")
    coordinator_partition = txn.partition_of(tid)
    if etag != txn.coordinator_epoch_of(coordinator_partition):  # the etag summaries show
        raise bad_request(f"etag {etag} does not match transaction {tid}")
    error = await txn.delete_partition(tid, (query["topic"], partition))
    if error is not ErrorCode.none:
        status, text = _ERRORS.get(error, (400, "cannot delete the partition: " + error.name))
        raise HttpError(status, text.format(tid=tid, ntp=ntp))
    return json_response({})
