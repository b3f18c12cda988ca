"""Prometheus endpoints: /metrics (internal, vectorized_) and /public_metrics (redpanda_)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from admin_api.spec import PUBLIC, RouteList, services
from core.common import metrics
from core.http import not_found

routes = RouteList("metrics")
_TEXT = {"type": "string"}


def _prometheus(request: web.Request, switch: str, render: Callable[[bool], bytes]) -> web.Response:
    config = services(request).cluster_config
    if config.get(switch):
        raise not_found(f"metrics endpoint disabled by {switch}")
    body = render(bool(config.get("aggregate_metrics")))
    return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE})


@routes.get(
    "/metrics",
    summary="Internal metrics in Prometheus text format",
    auth=PUBLIC,
    response=_TEXT,
    produces="text/plain",
)
async def get_metrics(request: web.Request) -> web.Response:
    return _prometheus(request, "disable_metrics", metrics.render_internal)


@routes.get(
    "/public_metrics",
    summary="Public metrics in Prometheus text format",
    auth=PUBLIC,
    response=_TEXT,
    produces="text/plain",
)
async def get_public_metrics(request: web.Request) -> web.Response:
    return _prometheus(request, "disable_public_metrics", metrics.render_public)
