"""Prometheus endpoints: /metrics (internal, vectorized_) and /public_metrics (redpanda_)."""

from __future__ import annotations

from aiohttp import web

from admin_api.spec import PUBLIC, RouteList, services
from core.common import metrics
from core.http import not_found

routes = RouteList("metrics")
_TEXT = {"type": "string"}


def _prometheus(body: bytes) -> web.Response:
    return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE})


@routes.get("/metrics", summary="Internal metrics in Prometheus text format", auth=PUBLIC,
            response=_TEXT, produces="text/plain")
async def get_metrics(request: web.Request) -> web.Response:
    if services(request).cluster_config.get("disable_metrics"):
        raise not_found("metrics are disabled (disable_metrics)")
    return _prometheus(metrics.render_internal())


@routes.get("/public_metrics", summary="Public metrics in Prometheus text format", auth=PUBLIC,
            response=_TEXT, produces="text/plain")
async def get_public_metrics(request: web.Request) -> web.Response:
    if services(request).cluster_config.get("disable_public_metrics"):
        raise not_found("public metrics are disabled (disable_public_metrics)")
    return _prometheus(metrics.render_public())
