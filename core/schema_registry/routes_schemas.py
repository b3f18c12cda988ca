"""/schemas: list, by id, types; / and /status/ready."""

from __future__ import annotations

from aiohttp import web

from core.schema_registry import errors
from core.schema_registry.http import (
    flag,
    int_param,
    ok,
    ok_bytes,
    registry,
    schema_id,
    schema_json,
    version_body,
)
from core.schema_registry.openapi import build_openapi
from core.schema_registry.types import TYPES

routes = web.RouteTableDef()


@routes.get("/")
async def root(request: web.Request) -> web.Response:
    return ok({})


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(build_openapi())


@routes.get("/status/ready")
async def ready(request: web.Request) -> web.Response:
    await registry(request).ready()
    return ok({})


@routes.get("/schemas/types")
async def types(request: web.Request) -> web.Response:
    return ok(list(TYPES))


@routes.get("/schemas")
async def list_schemas(request: web.Request) -> web.Response:
    store = await registry(request).ready()
    prefix = request.query.get("subjectPrefix", "")
    deleted, latest_only = flag(request, "deleted"), flag(request, "latestOnly")
    offset, limit = int_param(request, "offset", 0), int_param(request, "limit", -1)
    found = []
    for subject in sorted(store.subjects):
        if not subject.startswith(prefix):
            continue
        versions = store.versions(subject, deleted=deleted)
        found += versions[-1:] if latest_only else versions
    found = found[max(offset, 0) :]
    if limit > 0:
        found = found[:limit]
    return ok([version_body(v) for v in found])


def _by_id(request: web.Request):
    store = registry(request).store
    wanted = schema_id(request)
    found = store.ids.get(wanted)
    if found is None:
        raise errors.schema_not_found(f"Schema {wanted} not found")
    return store, found


@routes.get("/schemas/ids/{id}")
async def get_schema(request: web.Request) -> web.Response:
    await registry(request).ready()
    return ok_bytes(schema_json(_by_id(request)[1]))


@routes.get("/schemas/ids/{id}/schema")
async def get_schema_text(request: web.Request) -> web.Response:
    await registry(request).ready()
    return web.Response(text=_by_id(request)[1].schema, content_type="application/json")


@routes.get("/schemas/ids/{id}/versions")
async def get_schema_versions(request: web.Request) -> web.Response:
    await registry(request).ready()
    store, found = _by_id(request)
    deleted = flag(request, "deleted")
    holders = [
        {"subject": v.subject, "version": v.version}
        for v in store.all_versions()
        if v.id == found.id and (deleted or not v.deleted)
    ]
    return ok(sorted(holders, key=lambda h: (h["subject"], h["version"])))


@routes.get("/schemas/ids/{id}/subjects")
async def get_schema_subjects(request: web.Request) -> web.Response:
    await registry(request).ready()
    store, found = _by_id(request)
    deleted = flag(request, "deleted")
    subjects = {
        v.subject for v in store.all_versions() if v.id == found.id and (deleted or not v.deleted)
    }
    return ok(sorted(subjects))
