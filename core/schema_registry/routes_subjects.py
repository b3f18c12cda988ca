"""/subjects: list, register, look up, read and delete versions."""

from __future__ import annotations

from aiohttp import web

from core.schema_registry import errors, records
from core.schema_registry.http import flag, json_body, ok, ok_bytes, registry, version_json
from core.schema_registry.service import parse_candidate, parse_version
from core.schema_registry.store import READ_ONLY

routes = web.RouteTableDef()


@routes.get("/subjects")
async def list_subjects(request: web.Request) -> web.Response:
    store = await registry(request).ready()
    prefix = request.query.get("subjectPrefix", "")
    deleted, deleted_only = flag(request, "deleted"), flag(request, "deletedOnly")
    names = []
    for subject, versions in store.subjects.items():
        states = {v.deleted for v in versions.values()}
        if not subject.startswith(prefix):
            continue
        if (deleted_only and True in states) or (not deleted_only and (deleted or False in states)):
            names.append(subject)
    return ok(sorted(names))


@routes.get("/subjects/{subject}/versions")
async def list_versions(request: web.Request) -> web.Response:
    reg = registry(request)
    store = await reg.ready()
    subject = request.match_info["subject"]
    found = store.versions(subject, deleted=flag(request, "deleted"))
    if not found:
        raise errors.subject_not_found(subject)
    return ok([v.version for v in found])


@routes.post("/subjects/{subject}/versions")
async def register(request: web.Request) -> web.Response:
    body = await json_body(request)
    reg = registry(request)
    schema_id = await reg.register(request.match_info["subject"], body, flag(request, "normalize"))
    return ok({"id": schema_id})


@routes.post("/subjects/{subject}")
async def lookup(request: web.Request) -> web.Response:
    body = await json_body(request)
    reg = registry(request)
    store = await reg.ready()
    subject = request.match_info["subject"]
    candidate = parse_candidate(body)
    deleted = flag(request, "deleted")
    if not store.versions(subject, deleted=True):
        raise errors.subject_not_found(subject)
    found, _ = await reg.find_in_subject(subject, candidate, flag(request, "normalize"), deleted)
    if found is None:
        raise errors.schema_not_found()
    return ok_bytes(version_json(found))


@routes.get("/subjects/{subject}/versions/{version}")
async def get_version(request: web.Request) -> web.Response:
    reg = registry(request)
    await reg.ready()
    m = request.match_info
    found = reg.get_version(m["subject"], m["version"], flag(request, "deleted"))
    return ok_bytes(version_json(found))


@routes.get("/subjects/{subject}/versions/{version}/schema")
async def get_version_schema(request: web.Request) -> web.Response:
    reg = registry(request)
    await reg.ready()
    m = request.match_info
    found = reg.get_version(m["subject"], m["version"], flag(request, "deleted"))
    return web.Response(text=found.schema, content_type="application/vnd.schemaregistry.v1+json")


@routes.get("/subjects/{subject}/versions/{version}/referencedby")
@routes.get("/subjects/{subject}/versions/{version}/referencedBy")
async def referenced_by(request: web.Request) -> web.Response:
    reg = registry(request)
    store = await reg.ready()
    m = request.match_info
    found = reg.get_version(m["subject"], m["version"], deleted=True)
    return ok(store.referenced_by(found.subject, found.version))


@routes.delete("/subjects/{subject}/versions/{version}")
async def delete_version(request: web.Request) -> web.Response:
    reg = registry(request)
    subject, text = request.match_info["subject"], request.match_info["version"]
    permanent = flag(request, "permanent")
    parse_version(text)
    lock = await reg.locked()
    try:
        store = reg.store
        _check_writable(store, subject)
        found = reg.get_version(subject, text, deleted=True)
        if text in ("latest", "-1") and not permanent:
            found = reg.get_version(subject, text, deleted=False)
        if store.referenced_by(subject, found.version):
            raise errors.referenced(subject, found.version)
        key = records.schema_key(subject, found.version)
        if permanent:
            if not found.deleted:
                raise errors.RegistryError(
                    40407,
                    f"Subject '{subject}' Version {found.version} was not deleted first before "
                    "being permanently deleted",
                )
            await reg.log.write([(key, None)])
        else:
            if found.deleted:
                raise errors.RegistryError(
                    40406,
                    f"Subject '{subject}' Version {found.version} was soft deleted. "
                    "Set permanent=true to delete permanently",
                )
            await reg.log.write([(key, _deleted_value(found))])
        return ok(found.version)
    finally:
        lock.release()


@routes.delete("/subjects/{subject}")
async def delete_subject(request: web.Request) -> web.Response:
    reg = registry(request)
    subject = request.match_info["subject"]
    permanent = flag(request, "permanent")
    lock = await reg.locked()
    try:
        store = reg.store
        _check_writable(store, subject)
        every = store.versions(subject, deleted=True)
        if not every:
            raise errors.subject_not_found(subject)
        for v in every:
            if store.referenced_by(subject, v.version):
                raise errors.referenced(subject, v.version)
        live = [v for v in every if not v.deleted]
        if permanent:
            if live:
                raise errors.RegistryError(
                    40405,
                    f"Subject '{subject}' was not deleted first before being permanently deleted",
                )
            pairs = [(records.schema_key(subject, v.version), None) for v in every]
            pairs += [(records.config_key(subject), None)] if subject in store.config else []
            pairs += [(records.mode_key(subject), None)] if subject in store.mode else []
            await reg.log.write(pairs)
            return ok([v.version for v in every])
        if not live:
            raise errors.RegistryError(
                40404,
                f"Subject '{subject}' was soft deleted. Set permanent=true to delete permanently",
            )
        await reg.log.write(
            [(records.schema_key(subject, v.version), _deleted_value(v)) for v in live]
        )
        return ok([v.version for v in live])
    finally:
        lock.release()


def _check_writable(store, subject: str) -> None:
    if store.effective_mode(subject) in READ_ONLY:
        raise errors.not_permitted(f"Subject {subject} is in read-only mode")


def _deleted_value(v) -> bytes:
    return records.schema_value(
        v.subject, v.version, v.id, v.schema_type, v.schema, v.references, True
    )
