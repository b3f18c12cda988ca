"""SASL/SCRAM users."""

from __future__ import annotations

from aiohttp import web

from admin_api.models import UserCreate, UserUpdate
from admin_api.spec import (
    BOOL,
    OBJ,
    STR,
    STR_LIST,
    SUPERUSER,
    RouteList,
    json_response,
    obj_schema,
    services,
)
from core.http import HttpError, query_bool, read_json_object, string_field
from core.security.scram import MECHANISMS
from core.security.users import UserError

routes = RouteList("security")

_ALGORITHM = {"type": "string", "enum": list(MECHANISMS)}
CREATE_BODY = obj_schema(
    {"username": STR, "password": STR, "algorithm": _ALGORITHM},
    ("username", "password", "algorithm"),
)
UPDATE_BODY = obj_schema({"password": STR, "algorithm": _ALGORITHM}, ("password", "algorithm"))


def _user_error(exc: UserError) -> HttpError:
    return HttpError(exc.status, str(exc))


@routes.get(
    "/v1/security/users",
    summary="List users",
    auth=SUPERUSER,
    query={"include_ephemeral": BOOL},
    response=STR_LIST,
)
async def list_users(request: web.Request) -> web.Response:
    query_bool(request, "include_ephemeral", False)  # no ephemeral users exist; still reject junk
    return json_response(services(request).users.list())


@routes.post(
    "/v1/security/users", summary="Create a user", auth=SUPERUSER, body=CREATE_BODY, response=OBJ
)
async def create_user(request: web.Request) -> web.Response:
    body = await read_json_object(request, required=("username", "password", "algorithm"))
    req = UserCreate(
        string_field(body, "username"),
        string_field(body, "password"),
        string_field(body, "algorithm"),
    )
    try:
        await services(request).users.create(req.username, req.password, req.algorithm)
    except UserError as exc:
        raise _user_error(exc) from None
    return json_response({})


@routes.put(
    "/v1/security/users/{user}",
    summary="Change a user's password or algorithm",
    auth=SUPERUSER,
    body=UPDATE_BODY,
    response=OBJ,
)
async def update_user(request: web.Request) -> web.Response:
    body = await read_json_object(request, required=("password", "algorithm"))
    req = UserUpdate(string_field(body, "password"), string_field(body, "algorithm"))
    try:
        await services(request).users.update(
            request.match_info["user"], req.password, req.algorithm
        )
    except UserError as exc:
        raise _user_error(exc) from None
    return json_response({})


@routes.delete("/v1/security/users/{user}", summary="Delete a user", auth=SUPERUSER, response=OBJ)
async def delete_user(request: web.Request) -> web.Response:
    try:
        await services(request).users.delete(request.match_info["user"])
    except UserError as exc:
        raise _user_error(exc) from None
    return json_response({})
