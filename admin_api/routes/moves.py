"""Partition moves (replica-set changes) and broker decommissioning.

The broker's services expose `moves` (core.cluster.moves_runtime.MovesRuntime); errors are
`{"message", "code"}` with the HTTP status the frontend chose (400 bad request, 404 unknown
partition or broker, 503 no controller).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from admin_api.spec import INT, OBJ, SUPERUSER, RouteList, json_response, services
from core.cluster.move_errors import MoveError
from core.http import HttpError, bad_request, int_param, not_found, read_json

routes = RouteList("moves")
_ARRAY = {"type": "array", "items": OBJ}
_NTP = {"partition": INT}
_ID = {"id": INT}
_REPLICAS_BODY = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"node_id": INT, "core": INT},
        "required": ["node_id"],
    },
}


def _runtime(request: web.Request) -> Any:
    runtime = getattr(services(request), "moves", None)
    if runtime is None:
        raise HttpError(503, "partition moves are not available on this broker")
    return runtime


def _ntp(request: web.Request) -> tuple[str, int]:
    ns, topic = request.match_info["namespace"], request.match_info["topic"]
    partition = int_param(request.match_info["partition"], "partition")
    if ns != "kafka":
        raise not_found(f"partition {ns}/{topic}/{partition} does not exist")
    return topic, partition


def _http(exc: MoveError) -> HttpError:
    return HttpError(exc.http_status, exc.message)


def _replicas(nodes) -> list[dict]:
    return [{"node_id": n, "core": 0} for n in nodes]


def _node_ids(body: Any) -> list[int]:
    if not isinstance(body, list) or not body:
        raise bad_request("expected a non-empty JSON array of {node_id, core}")
    out = []
    for item in body:
        node = item.get("node_id") if isinstance(item, dict) else None
        if not isinstance(node, int) or isinstance(node, bool) or node < 0:
            raise bad_request(f"invalid replica {item!r}: node_id must be a non-negative integer")
        core = item.get("core", 0)
        if not isinstance(core, int) or isinstance(core, bool) or core != 0:
            raise bad_request(f"invalid replica {item!r}: every broker has one core (0)")
        out.append(node)
    return out


@routes.post(
    "/v1/partitions/{namespace}/{topic}/{partition}/replicas",
    summary="Move a partition's replicas",
    auth=SUPERUSER,
    path_types=_NTP,
    body=_REPLICAS_BODY,
    response=OBJ,
)
async def set_partition_replicas(request: web.Request) -> web.Response:
    topic, partition = _ntp(request)
    nodes = _node_ids(await read_json(request))
    try:
        await _runtime(request).frontend.move(topic, partition, nodes)
    except MoveError as exc:
        raise _http(exc) from None
    return json_response({})


@routes.get(
    "/v1/partitions/reconfigurations", summary="Partition moves in progress", response=_ARRAY
)
async def get_partition_reconfigurations(request: web.Request) -> web.Response:
    runtime = _runtime(request)
    out = []
    for move in runtime.table.all():
        size, moved = runtime.progress(move)
        out.append(
            {
                "ns": "kafka",
                "topic": move.topic,
                "partition": move.partition,
                "previous_replicas": _replicas(move.previous),
                "current_replicas": _replicas(move.target),
                "status": "in_progress" if move.state == "in_progress" else "cancelled",
                "bytes_left_to_move": size - moved,
                "bytes_moved": moved,
                "partition_size": size,
                "reconciliation_statuses": [],
                "reconfiguration_policy": "full_local_retention",
            }
        )
    return json_response(out)


async def _cancel(request: web.Request, force: bool) -> web.Response:
    topic, partition = _ntp(request)
    try:
        await _runtime(request).frontend.cancel(topic, partition, force=force)
    except MoveError as exc:
        raise _http(exc) from None
    return json_response({})


@routes.post(
    "/v1/partitions/{namespace}/{topic}/{partition}/cancel_reconfiguration",
    summary="Cancel a partition move (back to the previous replicas)",
    auth=SUPERUSER,
    path_types=_NTP,
    response=OBJ,
)
async def cancel_partition_reconfiguration(request: web.Request) -> web.Response:
    return await _cancel(request, force=False)


@routes.post(
    "/v1/partitions/{namespace}/{topic}/{partition}/unclean_abort_reconfiguration",
    summary="Force-cancel a partition move (unsafe: may lose acknowledged writes)",
    auth=SUPERUSER,
    path_types=_NTP,
    response=OBJ,
)
async def unclean_abort_partition_reconfiguration(request: web.Request) -> web.Response:
    return await _cancel(request, force=True)


def _results(results) -> web.Response:
    return json_response(
        [
            {"ns": "kafka", "topic": r.topic, "partition": r.partition, "result": r.result}
            for r in results
        ]
    )


@routes.post(
    "/v1/cluster/cancel_reconfigurations",
    summary="Cancel every partition move",
    auth=SUPERUSER,
    response=_ARRAY,
)
async def cancel_all_partitions_reconfigurations(request: web.Request) -> web.Response:
    return _results(await _runtime(request).frontend.cancel_all())


@routes.post(
    "/v1/brokers/{id}/cancel_partition_moves",
    summary="Cancel the partition moves to or from a broker",
    auth=SUPERUSER,
    path_types=_ID,
    response=_ARRAY,
)
async def cancel_partition_moves(request: web.Request) -> web.Response:
    node_id = int_param(request.match_info["id"], "id")
    runtime = _runtime(request)
    if node_id not in runtime.controller.members:
        raise not_found(f"broker {node_id} does not exist")
    return _results(await runtime.frontend.cancel_all(node_id))


@routes.put(
    "/v1/brokers/{id}/decommission",
    summary="Decommission a broker (its replicas move away, then it leaves)",
    auth=SUPERUSER,
    path_types=_ID,
    response=OBJ,
)
async def decommission(request: web.Request) -> web.Response:
    node_id = int_param(request.match_info["id"], "id")
    try:
        await _runtime(request).decommission.decommission(node_id)
    except MoveError as exc:
        raise _http(exc) from None
    return json_response({})


@routes.put(
    "/v1/brokers/{id}/recommission",
    summary="Stop decommissioning a broker",
    auth=SUPERUSER,
    path_types=_ID,
    response=OBJ,
)
async def recommission(request: web.Request) -> web.Response:
    node_id = int_param(request.match_info["id"], "id")
    try:
        await _runtime(request).decommission.recommission(node_id)
    except MoveError as exc:
        raise _http(exc) from None
    return json_response({})


@routes.get(
    "/v1/brokers/{id}/decommission",
    summary="A broker's decommission progress",
    path_types=_ID,
    response=OBJ,
)
async def get_decommission(request: web.Request) -> web.Response:
    node_id = int_param(request.match_info["id"], "id")
    runtime = _runtime(request)
    try:
        status = runtime.decommission.status(node_id)
    except MoveError as exc:
        raise _http(exc) from None
    for row in status["partitions"]:
        move = runtime.table.get(row["topic"], row["partition"])
        if move is not None:
            size, moved = runtime.progress(move)
            row.update(partition_size=size, bytes_moved=moved, bytes_left_to_move=size - moved)
    return json_response(status)


def _disabled(request: web.Request, p) -> bool:  # core.cluster.partition_disable
    table = getattr(services(request), "partition_disable", None)
    return p.ns == "kafka" and table is not None and table.is_disabled(p.topic, p.partition_id)


def _wanted(request: web.Request, p) -> bool:
    """The ?disabled= filter: only disabled (true) or only enabled (false) partitions."""
    raw = request.query.get("disabled")
    return raw is None or (raw.lower() == "true") == _disabled(request, p)


def _cluster_partition(p, request: web.Request) -> dict:
    row = {
        "ns": p.ns,
        "topic": p.topic,
        "partition_id": p.partition_id,
        "replicas": _replicas([r.node_id for r in p.replicas]),
        "disabled": _disabled(request, p),
    }
    if p.leader_id >= 0:
        row["leader_id"] = p.leader_id
    return row


@routes.get(
    "/v1/cluster/partitions",
    summary="Every partition of the cluster: replicas and leader",
    query={"with_internal": {"type": "boolean"}, "disabled": {"type": "boolean"}},
    response=_ARRAY,
)
async def get_cluster_partitions(request: web.Request) -> web.Response:
    internal = request.query.get("with_internal", "false").lower() == "true"
    rows = [
        _cluster_partition(p, request)
        for p in services(request).partitions()
        if (internal or p.ns == "kafka") and _wanted(request, p)
    ]
    return json_response(rows)


@routes.get(
    "/v1/cluster/partitions/{namespace}/{topic}",
    summary="The partitions of one topic: replicas and leader",
    query={"disabled": {"type": "boolean"}},
    response=_ARRAY,
)
async def get_cluster_partitions_topic(request: web.Request) -> web.Response:
    ns, topic = request.match_info["namespace"], request.match_info["topic"]
    found = [p for p in services(request).partitions() if p.ns == ns and p.topic == topic]
    if not found:
        raise not_found(f"topic {ns}/{topic} does not exist")
    return json_response([_cluster_partition(p, request) for p in found if _wanted(request, p)])


@routes.get(
    "/v1/broker_uuids",
    summary="Node id to UUID of every broker, decommissioned ones included",
    response=_ARRAY,
)
async def get_broker_uuids(request: web.Request) -> web.Response:
    runtime = _runtime(request)
    rows = {m.node_id: m.uuid for m in runtime.controller.members.all()}
    rows.update(runtime.decommission_table.uuids)
    return json_response([{"node_id": n, "uuid": u} for n, u in sorted(rows.items())])
