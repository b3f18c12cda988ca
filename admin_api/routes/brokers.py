"""Brokers and maintenance mode."""

from __future__ import annotations

from aiohttp import web

from admin_api.models import Broker
from admin_api.spec import INT, OBJ, SUPERUSER, RouteList, json_response, services
from core.http import bad_request, int_param, not_found

routes = RouteList("brokers")
_ID = {"id": INT}


def _find(request: web.Request, node_id: int) -> Broker:
    for broker in services(request).brokers():
        if broker.node_id == node_id:
            return broker
    raise not_found(f"broker {node_id} does not exist")


@routes.get("/v1/brokers", summary="List brokers", response={"type": "array", "items": OBJ})
async def get_brokers(request: web.Request) -> web.Response:
    return json_response([b.to_json() for b in services(request).brokers()])


@routes.get("/v1/brokers/{id}", summary="Get one broker", path_types=_ID, response=OBJ)
async def get_broker(request: web.Request) -> web.Response:
    return json_response(_find(request, int_param(request.match_info["id"], "id")).to_json())


async def _set_maintenance(request: web.Request, enabled: bool) -> web.Response:
    node_id = int_param(request.match_info["id"], "id")
    _find(request, node_id)
    try:
        await services(request).set_maintenance(node_id, enabled)
    except KeyError:
        raise not_found(f"broker {node_id} does not exist") from None
    except ValueError as exc:  # another member: not settable from here
        raise bad_request(str(exc)) from None
    return json_response({})


@routes.put(
    "/v1/brokers/{id}/maintenance",
    summary="Start draining a broker",
    auth=SUPERUSER,
    path_types=_ID,
    response=OBJ,
)
async def start_broker_maintenance(request: web.Request) -> web.Response:
    return await _set_maintenance(request, True)


@routes.delete(
    "/v1/brokers/{id}/maintenance",
    summary="Stop draining a broker",
    auth=SUPERUSER,
    path_types=_ID,
    response=OBJ,
)
async def stop_broker_maintenance(request: web.Request) -> web.Response:
    return await _set_maintenance(request, False)


@routes.get(
    "/v1/maintenance", summary="This node's maintenance status", auth=SUPERUSER, response=OBJ
)
async def get_local_maintenance(request: web.Request) -> web.Response:
    svc = services(request)
    return json_response(_find(request, svc.node_id).maintenance_status.to_json())
