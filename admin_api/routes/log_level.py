"""Loggers and their levels, changed at runtime with an expiry (Redpanda's /v1/loggers and
/v1/config/log_level/{name}).

Redpanda's logger names map onto this broker's Python loggers (`LOGGERS`). A change lasts
`expires` seconds (600 when omitted, 0: until shutdown); then the logger returns to the level
it had before the first unexpired change, as Redpanda's reset timer does. Python loggers are
process-wide, so the pending resets are too.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiohttp import web

from admin_api.spec import INT, OBJ, STR, SUPERUSER, RouteList, json_response
from core.http import bad_request

routes = RouteList("config")

DEFAULT_EXPIRES_S = 600
MAX_EXPIRES_S = 2**32 - 1
# Redpanda's logger name -> the Python loggers behind it
LOGGERS: dict[str, tuple[str, ...]] = {
    "main": ("ailurus",),
    "kafka": ("ailurus.kafka",),
    "raft": ("ailurus.raft",),
    "rpc": ("ailurus.rpc",),
    "storage": ("ailurus.storage", "ailurus.partition", "ailurus.partitions"),
    "cluster": (
        "ailurus.controller",
        "ailurus.members",
        "ailurus.bootstrap",
        "ailurus.leaders",
        "ailurus.leadership",
        "ailurus.leader_balancer",
        "ailurus.reconciler",
        "ailurus.moves",
        "ailurus.maintenance",
        "ailurus.decommission",
    ),
    "tx": ("ailurus.txn", "ailurus.producer_state"),
    "schemaregistry": ("ailurus.schema_registry",),
    "pandaproxy": ("ailurus.proxy",),
    "admin_api_server": ("admin_api", "core.http"),
    "security": ("ailurus.security", "core.security"),
}
# seastar's levels (lowest first) and Python's nearest
LEVELS = {
    "trace": logging.DEBUG - 5,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}
log = logging.getLogger("ailurus")


@dataclass
class Reset:
    level: str  # what to go back to
    handle: asyncio.TimerHandle | None  # None: never expires
    expires_at: float = 0.0  # loop time


_resets: dict[str, Reset] = {}


def level_of(name: str) -> str:
    value = logging.getLogger(LOGGERS[name][0]).getEffectiveLevel()
    for text, number in sorted(LEVELS.items(), key=lambda kv: kv[1]):
        if value <= number:
            return text
    return "error"


def set_level(name: str, level: str) -> None:
    for logger in LOGGERS[name]:
        logging.getLogger(logger).setLevel(LEVELS[level])


def _expire(name: str) -> None:
    reset = _resets.pop(name, None)
    if reset is not None:
        log.info("Expiring log level for {%s}: -> %s", name, reset.level)
        set_level(name, reset.level)


def _known(name: str) -> None:
    if not name or any(ord(c) < 32 for c in name):
        raise bad_request(f"Invalid parameter 'name' got {{{name}}}")
    if name not in LOGGERS:
        raise bad_request(f"Cannot set log level: unknown logger {{{name}}}")


def _remaining_s(name: str) -> int:
    reset = _resets.get(name)
    if reset is None or reset.handle is None:
        return 0
    return max(0, round(reset.expires_at - asyncio.get_running_loop().time()))


@routes.get(
    "/v1/loggers",
    summary="List every logger (with its level when include-levels)",
    auth=SUPERUSER,
    query={"include-levels": STR},
)
async def get_loggers(request: web.Request) -> web.Response:
    levels = request.query.get("include-levels", "").lower() in ("true", "1", "yes")
    rows = [{"name": n, **({"level": level_of(n)} if levels else {})} for n in sorted(LOGGERS)]
    return json_response(rows)


@routes.get(
    "/v1/config/log_level/{name}",
    summary="A logger's level and the seconds until its override expires",
    auth=SUPERUSER,
    response=OBJ,
)
async def get_log_level(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    _known(name)
    return json_response({"name": name, "level": level_of(name), "expiration": _remaining_s(name)})


@routes.put(
    "/v1/config/log_level/{name}",
    summary="Set a logger's level for `expires` seconds (600 by default, 0: until shutdown)",
    auth=SUPERUSER,
    query={"level": STR, "expires": INT, "force": STR},
    response=OBJ,
)
async def put_log_level(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    _known(name)
    level = request.query.get("level", "")
    if level not in LEVELS:
        raise bad_request(f"Cannot set log level for {{{name}}}: unknown level {{{level}}}")
    expires = _expires(name, request.query.get("expires", ""))
    previous = level_of(name)
    loop = asyncio.get_running_loop()
    old = _resets.get(name)
    if old is not None and old.handle is not None:
        old.handle.cancel()
    handle = loop.call_later(expires, _expire, name) if expires > 0 else None
    original = old.level if old is not None else previous
    _resets[name] = Reset(original, handle, loop.time() + expires)
    set_level(name, level)
    log.info(
        "Set log level for {%s}: %s -> %s (expiring %s)",
        name,
        previous,
        level,
        f"{expires}s" if expires > 0 else "NEVER",
    )
    return json_response(
        {"name": name, "previous_level": previous, "new_level": level, "expiration": expires}
    )


def _expires(name: str, text: str) -> int:
    if text == "":
        return DEFAULT_EXPIRES_S
    if not text.isdigit() or int(text) > MAX_EXPIRES_S:
        raise bad_request(f"Cannot set log level for {{{name}}}: invalid expires value {{{text}}}")
    return int(text)
