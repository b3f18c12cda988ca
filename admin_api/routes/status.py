"""Readiness, node configuration and feature flags.

Feature states are not a store of their own: the always-active features are built in, and the others
mirror a cluster property (`_PROPERTY_FEATURES`). PUT /v1/features/{name} therefore keeps no state
here; it changes that property through the cluster config frontend, which replicates it through the
controller log, so the change survives restarts and GET /v1/features reads it back.
"""

from __future__ import annotations

from aiohttp import web

from admin_api.models import Feature, FeaturesReport
from admin_api.spec import OBJ, PUBLIC, SUPERUSER, RouteList, json_response, obj_schema, services
from core.cluster.config_frontend import ConfigValidationError
from core.config.cluster_properties import ClusterConfigStore
from core.http import bad_request, not_found, read_json_object

routes = RouteList("status")

CLUSTER_LOGICAL_VERSION = 1
_ALWAYS_ACTIVE = ("central_config", "consumer_offsets", "maintenance_mode", "scram_users")
_PROPERTY_FEATURES = {"idempotence": "enable_idempotence", "transactions": "enable_transactions"}
ACTIVE, DISABLED = "active", "disabled"
FEATURE_PUT_BODY = obj_schema(
    {"state": {"type": "string", "enum": [ACTIVE, DISABLED]}}, ("state",), closed=True
)


@routes.get(
    "/v1/status/ready",
    summary="Readiness probe",
    auth=PUBLIC,
    response=obj_schema({"status": {"type": "string", "enum": ["ready", "booting"]}}, ("status",)),
)
async def ready(request: web.Request) -> web.Response:
    return json_response({"status": "ready" if services(request).is_ready() else "booting"})


@routes.get(
    "/v1/node_config", summary="This node's configuration properties", auth=SUPERUSER, response=OBJ
)
async def get_node_config(request: web.Request) -> web.Response:
    svc = services(request)
    return json_response({"node_id": svc.node_id, **svc.node_config})


def _features(store: ClusterConfigStore) -> dict[str, Feature]:
    features = {name: Feature(name, ACTIVE, True) for name in _ALWAYS_ACTIVE}
    for name, prop in _PROPERTY_FEATURES.items():
        active = bool(store.get(prop))
        features[name] = Feature(name, ACTIVE if active else DISABLED, active)
    return features


@routes.get("/v1/features", summary="Cluster feature flags", response=OBJ)
async def get_features(request: web.Request) -> web.Response:
    features = _features(services(request).cluster_config)
    report = FeaturesReport(
        CLUSTER_LOGICAL_VERSION,
        CLUSTER_LOGICAL_VERSION,
        CLUSTER_LOGICAL_VERSION,
        CLUSTER_LOGICAL_VERSION,
        [features[name] for name in sorted(features)],
    )
    return json_response(report.to_json())


@routes.put(
    "/v1/features/{feature_name}",
    summary="Activate or deactivate a feature",
    auth=SUPERUSER,
    body=FEATURE_PUT_BODY,
    response=OBJ,
)
async def put_feature(request: web.Request) -> web.Response:
    body = await read_json_object(request, required=("state",), allowed=("state",))
    state = body["state"]
    if state not in (ACTIVE, DISABLED):
        raise bad_request(f"field 'state' must be {ACTIVE!r} or {DISABLED!r}")
    name = request.match_info["feature_name"]
    svc = services(request)
    current = _features(svc.cluster_config).get(name)
    if current is None:
        raise not_found(f"unknown feature {name!r}")
    if current.state == state:
        return json_response({})  # already in that state: nothing to replicate
    prop = _PROPERTY_FEATURES.get(name)
    if prop is None:
        raise bad_request(f"feature {name!r} is built in and cannot be disabled")
    try:
        await svc.config_frontend.patch({prop: state == ACTIVE}, [])
    except ConfigValidationError as exc:
        raise bad_request(str(exc)) from None
    return json_response({})
