"""Readiness, node configuration and feature flags."""

from __future__ import annotations

from aiohttp import web

from admin_api.models import Feature, FeaturesReport
from admin_api.spec import OBJ, PUBLIC, SUPERUSER, RouteList, json_response, obj_schema, services

routes = RouteList("status")

CLUSTER_LOGICAL_VERSION = 1
_ALWAYS_ACTIVE = ("central_config", "consumer_offsets", "maintenance_mode", "scram_users")
_PROPERTY_FEATURES = {"idempotence": "enable_idempotence", "transactions": "enable_transactions"}


@routes.get("/v1/status/ready", summary="Readiness probe", auth=PUBLIC,
            response=obj_schema({"status": {"type": "string", "enum": ["ready", "booting"]}}, ("status",)))
async def ready(request: web.Request) -> web.Response:
    return json_response({"status": "ready" if services(request).is_ready() else "booting"})


@routes.get("/v1/node_config", summary="This node's configuration properties", auth=SUPERUSER, response=OBJ)
async def get_node_config(request: web.Request) -> web.Response:
    svc = services(request)
    return json_response({"node_id": svc.node_id, **svc.node_config})


@routes.get("/v1/features", summary="Cluster feature flags", response=OBJ)
async def get_features(request: web.Request) -> web.Response:
    store = services(request).cluster_config
    features = [Feature(name, "active", True) for name in _ALWAYS_ACTIVE]
    for name, prop in _PROPERTY_FEATURES.items():
        active = bool(store.get(prop))
        features.append(Feature(name, "active" if active else "disabled", active))
    report = FeaturesReport(CLUSTER_LOGICAL_VERSION, CLUSTER_LOGICAL_VERSION, CLUSTER_LOGICAL_VERSION,
                            CLUSTER_LOGICAL_VERSION, sorted(features, key=lambda f: f.name))
    return json_response(report.to_json())
