"""Maintenance mode: PUT/DELETE /v1/brokers/{id}/maintenance (a controller command, any node),
GET /v1/maintenance (this node's drain status) and PUT/DELETE /v1/maintenance (force this
node's drain on or off locally, Redpanda's escape hatch). See core.cluster.maintenance."""

from __future__ import annotations

from aiohttp import web

from admin_api.spec import INT, OBJ, SUPERUSER, RouteList, json_response, services
from core.http import HttpError, bad_request, int_param, not_found

routes = RouteList("maintenance")
_ID = {"id": INT}


async def _set_maintenance(request: web.Request, enabled: bool) -> web.Response:
    node_id = int_param(request.match_info["id"], "id")
    leadership = getattr(services(request), "leadership", None)
    if leadership is None:
        raise HttpError(503, "maintenance mode is not available on this broker yet")
    try:
        await leadership.set_maintenance(node_id, enabled)
    except KeyError:
        raise not_found(f"broker {node_id} does not exist") from None
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    except RuntimeError as exc:  # no controller leader, timeout: retriable
        raise HttpError(503, f"Not ready: {exc}") from None
    return json_response({})


@routes.put(
    "/v1/brokers/{id}/maintenance",
    summary="Request broker enter maintenance mode",
    auth=SUPERUSER,
    path_types=_ID,
    response=OBJ,
)
async def start_broker_maintenance(request: web.Request) -> web.Response:
    return await _set_maintenance(request, True)


@routes.delete(
    "/v1/brokers/{id}/maintenance",
    summary="Request broker exit maintenance mode",
    auth=SUPERUSER,
    path_types=_ID,
    response=OBJ,
)
async def stop_broker_maintenance(request: web.Request) -> web.Response:
    return await _set_maintenance(request, False)


def _leadership(request: web.Request):
    leadership = getattr(services(request), "leadership", None)
    if leadership is None:
        raise HttpError(503, "maintenance mode is not available on this broker yet")
    return leadership


@routes.get("/v1/maintenance", summary="Get local maintenance status", auth=SUPERUSER, response=OBJ)
async def get_local_maintenance(request: web.Request) -> web.Response:
    status = _leadership(request).local_drain_status()
    return json_response(status.to_json() if status.draining else {"draining": False})


@routes.put(
    "/v1/maintenance", summary="Force start local maintenance", auth=SUPERUSER, response=OBJ
)
async def start_local_maintenance(request: web.Request) -> web.Response:
    _leadership(request).force_local_maintenance(True)
    return json_response({})


@routes.delete(
    "/v1/maintenance", summary="Force stop local maintenance", auth=SUPERUSER, response=OBJ
)
async def stop_local_maintenance(request: web.Request) -> web.Response:
    _leadership(request).force_local_maintenance(False)
    return json_response({})
