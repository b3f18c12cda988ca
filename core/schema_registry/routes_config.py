"""/config, /mode and /compatibility."""

from __future__ import annotations

from aiohttp import web

from core.schema_registry import errors, records
from core.schema_registry.compat import check_pair
from core.schema_registry.http import flag, json_body, ok, registry
from core.schema_registry.service import parse_candidate

routes = web.RouteTableDef()


def _field(body: object, name: str) -> object:
    return body.get(name) if isinstance(body, dict) else None


@routes.get("/config")
async def get_global_config(request: web.Request) -> web.Response:
    store = await registry(request).ready()
    return ok({"compatibilityLevel": store.level(None)})


@routes.get("/config/{subject}")
async def get_config(request: web.Request) -> web.Response:
    store = await registry(request).ready()
    subject = request.match_info["subject"]
    if subject in store.config:
        return ok({"compatibilityLevel": store.config[subject]})
    if flag(request, "defaultToGlobal"):
        return ok({"compatibilityLevel": store.level(None)})
    raise errors.RegistryError(
        40408, f"Subject '{subject}' does not have subject-level compatibility configured"
    )


@routes.put("/config")
@routes.put("/config/{subject}")
async def put_config(request: web.Request) -> web.Response:
    reg = registry(request)
    level = reg.set_level(_field(await json_body(request), "compatibility"))
    subject = request.match_info.get("subject")
    await reg.write([(records.config_key(subject), records.config_value(subject, level))])
    return ok({"compatibility": level})


@routes.delete("/config")
@routes.delete("/config/{subject}")
async def delete_config(request: web.Request) -> web.Response:
    reg = registry(request)
    store = await reg.ready()
    subject = request.match_info.get("subject")
    if subject is not None and subject not in store.config:
        if not store.versions(subject, deleted=True):
            raise errors.subject_not_found(subject)
        raise errors.RegistryError(
            40408, f"Subject '{subject}' does not have subject-level compatibility configured"
        )
    old = store.level(subject)
    await reg.write([(records.config_key(subject), None)])
    return ok({"compatibilityLevel": old})


@routes.get("/mode")
async def get_global_mode(request: web.Request) -> web.Response:
    store = await registry(request).ready()
    return ok({"mode": store.effective_mode(None)})


@routes.get("/mode/{subject}")
async def get_mode(request: web.Request) -> web.Response:
    store = await registry(request).ready()
    subject = request.match_info["subject"]
    mode = store.subject_mode(subject)
    if mode is not None:
        return ok({"mode": mode})
    if flag(request, "defaultToGlobal"):
        return ok({"mode": store.effective_mode(None)})
    raise errors.RegistryError(
        40409, f"Subject '{subject}' does not have subject-level mode configured"
    )


@routes.put("/mode")
@routes.put("/mode/{subject}")
async def put_mode(request: web.Request) -> web.Response:
    reg = registry(request)
    mode = reg.set_mode(_field(await json_body(request), "mode"))
    subject = request.match_info.get("subject")
    reg.check_mode_mutability(flag(request, "force"))
    lock = await reg.locked()
    try:
        store = reg.store
        if mode == "IMPORT" and not flag(request, "force"):
            holders = (
                store.versions(subject, deleted=True) if subject else list(store.all_versions())
            )
            if holders:
                raise errors.not_permitted(
                    "Cannot import since found existing subjects"
                    if subject is None
                    else f"Cannot import since subject {subject} has schemas"
                )
        await reg.log.write([(records.mode_key(subject), records.mode_value(subject, mode))])
    finally:
        lock.release()
    return ok({"mode": mode})


@routes.delete("/mode/{subject}")
async def delete_mode(request: web.Request) -> web.Response:
    reg = registry(request)
    store = await reg.ready()
    subject = request.match_info["subject"]
    reg.check_mode_mutability(flag(request, "force"))
    if subject not in store.mode:
        raise errors.RegistryError(
            40409, f"Subject '{subject}' does not have subject-level mode configured"
        )
    old = store.mode[subject]
    await reg.write([(records.mode_key(subject), None)])
    return ok({"mode": old})


@routes.post("/compatibility/subjects/{subject}/versions/{version}")
@routes.post("/compatibility/subjects/{subject}/versions")
async def check_compatibility(request: web.Request) -> web.Response:
    reg = registry(request)
    body = await json_body(request)
    store = await reg.ready()
    subject = request.match_info["subject"]
    candidate = parse_candidate(body)
    new = await reg.parsed(
        candidate.schema_type, candidate.text, candidate.references, flag(request, "normalize")
    )
    level = store.level(subject)
    version_text = request.match_info.get("version")
    if version_text is None:
        against = reg.versions_to_check(subject, level)
    else:
        against = [reg.get_version(subject, version_text)]
    messages = []
    if level != "NONE":
        for old in against:
            messages += check_pair(level, new, await reg.parsed_version(old), old.version)
    result: dict = {"is_compatible": not messages}
    if flag(request, "verbose"):
        result["messages"] = messages
    return ok(result)
