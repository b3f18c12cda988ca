"""Leadership transfer, Redpanda's kafka_transfer_leadership and raft_transfer_leadership:

    POST /v1/partitions/{namespace}/{topic}/{partition}/transfer_leadership?target=N
    POST /v1/raft/{group_id}/transfer_leadership?target=N

Any node answers: one that does not lead the group forwards the request to the leader it
knows (Redpanda redirects the client there). No `target`: the best caught-up follower.
The answer comes once leadership left the old leader: 200; 400 for a target that is not a
voter of the group or is in maintenance mode, 404 for an unknown partition or group, 503
when no leader is known or reachable, 504 when the target did not take over in time.
The controller is partition redpanda/controller/0 (raft group 0).
"""

from __future__ import annotations

from aiohttp import web

from admin_api.spec import INT, OBJ, SUPERUSER, RouteList, json_response, services
from core.http import HttpError, bad_request, int_param, not_found

routes = RouteList("leadership")
_TARGET = {"target": INT}
CONTROLLER = ("redpanda", "controller", 0)
# core.cluster.leader_transfer.Outcome.errc values (admin_api does not import core.cluster)
OK, NOT_FOUND, INVALID_TARGET, TIMEOUT = "ok", "not_found", "invalid_target", "timeout"


def _target(request: web.Request) -> int | None:
    raw = request.query.get("target", "")
    if raw == "":
        return None
    try:
        target = int(raw, 10)
    except ValueError:
        raise bad_request(f"Target node id must be an integer: {raw}") from None
    if target < 0:
        raise bad_request(f"Invalid target node id {target}")
    return target


def _leadership(request: web.Request):
    leadership = getattr(services(request), "leadership", None)
    if leadership is None:
        raise HttpError(503, "leadership transfer is not available on this broker yet")
    return leadership


def _answer(outcome) -> web.Response:
    if outcome.errc == OK:
        return json_response({})
    if outcome.errc == NOT_FOUND:
        raise not_found(outcome.message)
    if outcome.errc == INVALID_TARGET:
        raise bad_request(f"Invalid request: {outcome.message}")
    if outcome.errc == TIMEOUT:
        raise HttpError(504, f"Timeout: {outcome.message}")
    raise HttpError(503, f"Not ready: {outcome.message}")


@routes.post(
    "/v1/partitions/{namespace}/{topic}/{partition}/transfer_leadership",
    summary="Transfer raft group leadership by topic-partition",
    auth=SUPERUSER,
    path_types={"partition": INT},
    query=_TARGET,
    response=OBJ,
)
async def kafka_transfer_leadership(request: web.Request) -> web.Response:
    ns, topic = request.match_info["namespace"], request.match_info["topic"]
    partition = int_param(request.match_info["partition"], "partition")
    target = _target(request)
    transfers = _leadership(request).transfers
    if (ns, topic, partition) == CONTROLLER:
        return _answer(await transfers.transfer_group(0, target))
    if ns != "kafka":
        raise not_found(f"partition {ns}/{topic}/{partition} does not exist")
    return _answer(await transfers.transfer_partition(topic, partition, target))


@routes.post(
    "/v1/raft/{group_id}/transfer_leadership",
    summary="Transfer raft group leadership",
    auth=SUPERUSER,
    path_types={"group_id": INT},
    query=_TARGET,
    response=OBJ,
)
async def raft_transfer_leadership(request: web.Request) -> web.Response:
    raw = request.match_info["group_id"]
    try:
        group_id = int(raw, 10)
    except ValueError:
        raise bad_request(f"Raft group id must be an integer: {raw}") from None
    if group_id < 0:
        raise bad_request(f"Invalid raft group id {group_id}")
    return _answer(await _leadership(request).transfers.transfer_group(group_id, _target(request)))
