"""Self-test (Redpanda's /v1/debug/self_test/*): disk and network benchmarks on every broker.

Any node answers for the whole cluster (core.cluster.self_test fans out over the internal
RPC), so rpk needs one Admin API address:

- POST /v1/debug/self_test/start {"tests": [...], "nodes": [ids]}: stops what runs, then starts
  the tests on `nodes` (every member when absent or empty) with one test id, which it answers;
  without "tests", one disk, one network and one cloud test with their defaults (Redpanda's).
  400 `Failed to start self test, reason: ...` (Redpanda's text; it answers 503) for ids
  outside the cluster or no tests.
- GET /v1/debug/self_test/status: [{"node_id", "status": idle|running|unreachable, "stage",
  "results"}] for every member.
- POST /v1/debug/self_test/stop: stops every member's run; 503 naming those still running.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from admin_api.spec import ANY, OBJ, SUPERUSER, RouteList, json_response, services
from core.cluster.self_test import SelfTest, SelfTestError
from core.http import HttpError, bad_request, read_json_object

routes = RouteList("self_test")

DEFAULT_TESTS = ({"type": "disk"}, {"type": "network"}, {"type": "cloud"})
_NUMBERS = ("duration_ms", "request_size", "data_size", "parallelism", "timeout_ms", "backoff_ms")
_TYPES = ("disk", "network", "cloud")
MAX_TESTS = 64


def _frontend(request: web.Request) -> SelfTest:
    frontend = getattr(services(request), "self_test", None)
    if frontend is None:
        raise HttpError(503, "self-test is not available on this broker yet")
    return frontend


def _checked(body: dict[str, Any]) -> tuple[list[dict], list[int]]:
    """The start body's tests and nodes, or 400 naming what is wrong."""
    tests = body.get("tests", [dict(t) for t in DEFAULT_TESTS])
    nodes = body.get("nodes") or []
    if not isinstance(tests, list) or not all(isinstance(t, dict) for t in tests):
        raise bad_request("'tests' must be a list of objects")
    if len(tests) > MAX_TESTS:
        raise bad_request(f"at most {MAX_TESTS} tests per run")
    for t in tests:
        if t.get("type") not in _TYPES:
            raise bad_request(
                f"test type must be one of {', '.join(_TYPES)}, got {t.get('type')!r}"
            )
        for key in _NUMBERS:
            value = t.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad_request(f"test field {key!r} must be a non-negative integer")
    if not isinstance(nodes, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in nodes
    ):
        raise bad_request("'nodes' must be a list of node ids")
    return tests, nodes


@routes.post(
    "/v1/debug/self_test/start",
    summary="Start self-test benchmarks on the cluster's brokers",
    auth=SUPERUSER,
    body=OBJ,
    response=ANY,
)
async def start(request: web.Request) -> web.Response:
    body = await read_json_object(request, allowed=("tests", "nodes"))
    tests, nodes = _checked(body)
    try:
        test_id = await _frontend(request).start(tests, nodes)
    except SelfTestError as exc:  # Redpanda answers 503; a request's own fault is a 400 here
        raise bad_request(f"Failed to start self test, reason: {exc}") from None
    return json_response(test_id)


@routes.get(
    "/v1/debug/self_test/status",
    summary="Every broker's self-test status and last results",
    auth=SUPERUSER,
    response=ANY,
)
async def status(request: web.Request) -> web.Response:
    return json_response(await _frontend(request).status())


@routes.post(
    "/v1/debug/self_test/stop",
    summary="Stop the self-test on every broker",
    auth=SUPERUSER,
    response=ANY,
)
async def stop(request: web.Request) -> web.Response:
    active = await _frontend(request).stop()
    if active:
        raise HttpError(503, f"Failed to stop one or more self_test jobs: {active}")
    return web.Response(status=200, text="{}", content_type="application/json")
