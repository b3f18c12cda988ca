"""Centralised cluster configuration: read, patch, per-node status and schema."""

from __future__ import annotations

from aiohttp import web

from admin_api.models import ConfigPatchResult
from admin_api.spec import (
    BOOL,
    OBJ,
    PUBLIC,
    STR,
    STR_LIST,
    SUPERUSER,
    RouteList,
    json_response,
    obj_schema,
    services,
)
from core.cluster.config_frontend import ConfigValidationError
from core.config.cluster_properties import lookup
from core.http import bad_request, not_found, query_bool, read_json_object

routes = RouteList("cluster_config")

PATCH_BODY = obj_schema({"upsert": OBJ, "remove": STR_LIST}, ("upsert", "remove"), closed=True)


@routes.get(
    "/v1/cluster_config",
    summary="Read cluster configuration",
    auth=SUPERUSER,
    query={"include_defaults": BOOL, "key": STR},
    response=OBJ,
)
async def get_cluster_config(request: web.Request) -> web.Response:
    store = services(request).cluster_config
    key = request.query.get("key")
    if key is not None:
        prop = lookup(key)
        if prop is None:
            raise not_found(f"unknown property {key!r}")
        return json_response({prop.name: store.get(prop.name)})
    return json_response(
        store.values(include_defaults=query_bool(request, "include_defaults", True))
    )


@routes.put(
    "/v1/cluster_config",
    summary="Update cluster configuration",
    auth=SUPERUSER,
    query={"dry_run": BOOL, "force": BOOL},
    body=PATCH_BODY,
    response=obj_schema({"config_version": {"type": "integer"}}, ("config_version",)),
)
async def patch_cluster_config(request: web.Request) -> web.Response:
    dry_run = query_bool(request, "dry_run", False)
    force = query_bool(request, "force", False)
    body = await read_json_object(
        request, required=("upsert", "remove"), allowed=("upsert", "remove")
    )
    upsert, remove = body["upsert"], body["remove"]
    if not isinstance(upsert, dict):
        raise bad_request("'upsert' must be an object of property names to values")
    if not isinstance(remove, list) or not all(isinstance(n, str) for n in remove):
        raise bad_request("'remove' must be an array of property names")
    try:
        version = await services(request).config_frontend.patch(
            upsert, remove, dry_run=dry_run, force=force
        )
    except ConfigValidationError as exc:
        raise bad_request("invalid cluster configuration", {"errors": exc.errors}) from None
    return json_response(ConfigPatchResult(version).to_json())


@routes.get(
    "/v1/cluster_config/status",
    summary="Configuration status of each node",
    auth=SUPERUSER,
    response={"type": "array", "items": OBJ},
)
async def get_cluster_config_status(request: web.Request) -> web.Response:
    return json_response([s.to_json() for s in services(request).config_frontend.status()])


@routes.get(
    "/v1/cluster_config/schema",
    summary="Schema of every cluster property",
    auth=PUBLIC,
    response=OBJ,
)
async def get_cluster_config_schema(request: web.Request) -> web.Response:
    return json_response(services(request).cluster_config.schema())
