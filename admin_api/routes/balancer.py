"""The partition balancer (core.cluster.partition_balancer): its status and on-demand
balancing, as Redpanda's get_partition_balancer_status and trigger_partitions_rebalance.

The status is the controller leader's on every node: a node that does not lead forwards the
request to the leader over broker RPC (core.cluster.partition_balancer_rpc) and answers with
the leader's body; 503 when no leader is known or it cannot be reached, 504 when it does not
answer within the timeout (as Redpanda's admin server).

Cancelling what the balancer started is POST /v1/cluster/cancel_reconfigurations
(admin_api.routes.moves), as in Redpanda.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from admin_api.spec import OBJ, SUPERUSER, RouteList, json_response, services
from core.cluster.move_errors import MoveError
from core.cluster.partition_balancer_rpc import StatusUnavailable, leader_overview
from core.http import HttpError

routes = RouteList("balancer")


def _balancer(request: web.Request) -> Any:
    runtime = getattr(services(request), "moves", None)
    balancer = getattr(runtime, "balancer", None)
    if balancer is None:
        raise HttpError(503, "the partition balancer is not available on this broker")
    return balancer


@routes.get(
    "/v1/cluster/partition_balancer/status",
    summary="Get partition autobalancer status",
    response=OBJ,
)
async def get_partition_balancer_status(request: web.Request) -> web.Response:
    try:
        return json_response(await leader_overview(_balancer(request)))
    except StatusUnavailable as exc:
        raise HttpError(exc.http_status, exc.message) from None


@routes.post(
    "/v1/partitions/rebalance",
    summary="Execute on demand partition rebalance",
    auth=SUPERUSER,
    response=OBJ,
)
async def trigger_partitions_rebalance(request: web.Request) -> web.Response:
    try:
        await _balancer(request).request_rebalance()
    except MoveError as exc:
        raise HttpError(exc.http_status, exc.message) from None
    return json_response({})
