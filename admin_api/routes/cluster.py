"""Cluster health overview."""

from __future__ import annotations

from aiohttp import web

from admin_api.models import Broker, HealthOverview, Partition
from admin_api.spec import OBJ, PUBLIC, RouteList, json_response, services

routes = RouteList("cluster")


def _name(p: Partition) -> str:
    return f"{p.ns}/{p.topic}/{p.partition_id}"


def build_health_overview(
    brokers: list[Broker], partitions: list[Partition], controller_id: int
) -> HealthOverview:
    down = sorted(b.node_id for b in brokers if not b.is_alive)
    recovering = sorted(b.node_id for b in brokers if b.recovery_mode_enabled)
    leaderless = sorted(_name(p) for p in partitions if p.leader_id < 0 and not p.disabled)
    under = sorted(_name(p) for p in partitions if p.under_replicated)
    reasons = []
    if controller_id < 0:
        reasons.append("no_elected_controller")
    if down:
        reasons.append("nodes_down")
    if leaderless:
        reasons.append("leaderless_partitions")
    if under:
        reasons.append("under_replicated_partitions")
    return HealthOverview(
        is_healthy=not reasons,
        unhealthy_reasons=reasons,
        controller_id=controller_id,
        all_nodes=sorted(b.node_id for b in brokers),
        nodes_down=down,
        nodes_in_recovery_mode=recovering,
        leaderless_partitions=leaderless,
        leaderless_count=len(leaderless),
        under_replicated_partitions=under,
        under_replicated_count=len(under),
    )


@routes.get(
    "/v1/cluster/health_overview", summary="Cluster health overview", auth=PUBLIC, response=OBJ
)
async def get_cluster_health_overview(request: web.Request) -> web.Response:
    svc = services(request)
    return json_response(
        build_health_overview(svc.brokers(), svc.partitions(), svc.controller_id()).to_json()
    )
