"""Partition placement and leadership."""

from __future__ import annotations

from aiohttp import web

from admin_api.models import Partition
from admin_api.spec import INT, OBJ, RouteList, json_response, services
from core.http import int_param, not_found

routes = RouteList("partitions")
_ARRAY = {"type": "array", "items": OBJ}


def _topic_partitions(request: web.Request) -> list[Partition]:
    ns, topic = request.match_info["namespace"], request.match_info["topic"]
    found = [p for p in services(request).partitions() if p.ns == ns and p.topic == topic]
    if not found:
        raise not_found(f"topic {ns}/{topic} does not exist")
    return sorted(found, key=lambda p: p.partition_id)


@routes.get("/v1/partitions", summary="Partition replicas hosted by this node", response=_ARRAY)
async def get_partitions(request: web.Request) -> web.Response:
    svc = services(request)
    local = []
    for p in svc.partitions():
        mine = [r for r in p.replicas if r.node_id == svc.node_id]
        if mine:
            local.append(
                {
                    "ns": p.ns,
                    "topic": p.topic,
                    "partition_id": p.partition_id,
                    "core": mine[0].core,
                    "materialized": True,
                    "leader": p.leader_id,
                    "raft_group_id": p.raft_group_id,
                }
            )
    return json_response(sorted(local, key=lambda d: (d["ns"], d["topic"], d["partition_id"])))


@routes.get(
    "/v1/partitions/{namespace}/{topic}", summary="Partitions of one topic", response=_ARRAY
)
async def get_topic_partitions(request: web.Request) -> web.Response:
    return json_response([p.to_json() for p in _topic_partitions(request)])


@routes.get(
    "/v1/partitions/{namespace}/{topic}/{partition}",
    summary="One partition in detail",
    path_types={"partition": INT},
    response=OBJ,
)
async def get_partition(request: web.Request) -> web.Response:
    partition_id = int_param(request.match_info["partition"], "partition")
    for p in _topic_partitions(request):
        if p.partition_id == partition_id:
            return json_response(p.to_json())
    raise not_found(
        f"partition {request.match_info['namespace']}/{request.match_info['topic']}/"
        f"{partition_id} does not exist"
    )
