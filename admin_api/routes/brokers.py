"""Brokers: the members of the cluster, each with its maintenance status.

A broker's `maintenance_status` is `{"draining": false}` unless it is in maintenance mode;
then it carries the drain status that node reports (finished, errors, partitions, eligible,
transferring, failed; core.cluster.maintenance), as Redpanda fills it from the node's health
report. The maintenance endpoints themselves are in admin_api/routes/maintenance.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from admin_api.models import Broker
from admin_api.spec import INT, OBJ, RouteList, json_response, services
from core.http import int_param, not_found

routes = RouteList("brokers")
_ID = {"id": INT}


def _find(request: web.Request, node_id: int) -> Broker:
    for broker in services(request).brokers():
        if broker.node_id == node_id:
            return broker
    raise not_found(f"broker {node_id} does not exist")


async def maintenance_json(request: web.Request, node_id: int) -> dict[str, Any]:
    leadership = getattr(services(request), "leadership", None)
    if leadership is None or node_id not in leadership.maintenance:
        return {"draining": False}
    return (await leadership.drain_status(node_id)).to_json()


async def _with_maintenance(request: web.Request, broker: Broker) -> dict[str, Any]:
    body = broker.to_json()
    body["maintenance_status"] = await maintenance_json(request, broker.node_id)
    return body


@routes.get("/v1/brokers", summary="List brokers", response={"type": "array", "items": OBJ})
async def get_brokers(request: web.Request) -> web.Response:
    brokers = services(request).brokers()
    return json_response(await asyncio.gather(*(_with_maintenance(request, b) for b in brokers)))


@routes.get("/v1/brokers/{id}", summary="Get one broker", path_types=_ID, response=OBJ)
async def get_broker(request: web.Request) -> web.Response:
    broker = _find(request, int_param(request.match_info["id"], "id"))
    return json_response(await _with_maintenance(request, broker))
