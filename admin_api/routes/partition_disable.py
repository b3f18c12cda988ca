"""Partition disabling: POST /v1/cluster/partitions/{namespace}/{topic} and
/v1/cluster/partitions/{namespace}/{topic}/{partition} with {"disabled": true|false}
(Redpanda's post_cluster_partitions_topic[_partition]_handler). A controller command, taken
on any node (the controller forwards it to its leader). Only user topics may be disabled:
another namespace or an internal topic (__consumer_offsets ...) is 400 (Redpanda's
invalid_partition_operation); an unknown topic or partition is 404; a malformed body 400.
See core.cluster.partition_disable."""

from __future__ import annotations

from aiohttp import web

from admin_api.spec import BOOL, INT, OBJ, SUPERUSER, RouteList, json_response, services
from core.http import HttpError, bad_request, int_param, not_found, read_json_object

routes = RouteList("partition_disable")
_BODY = {
    "type": "object",
    "properties": {"disabled": BOOL},
    "required": ["disabled"],
    "additionalProperties": False,
}


async def _toggle(request: web.Request, partition: int | None) -> web.Response:
    table = getattr(services(request), "partition_disable", None)
    if table is None:
        raise HttpError(503, "partition disabling is not available on this broker yet")
    ns, topic = request.match_info["namespace"], request.match_info["topic"]
    body = await read_json_object(request, required=("disabled",), allowed=("disabled",))
    disabled = body["disabled"]
    if not isinstance(disabled, bool):
        raise bad_request("'disabled' must be a boolean")
    if ns != "kafka":
        raise bad_request(f"partitions of namespace {ns} may not be disabled")
    try:
        await table.submit(topic, partition, disabled)
    except KeyError as exc:
        raise not_found(str(exc.args[0])) from None
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    except TimeoutError as exc:
        raise HttpError(504, f"Timed out: {exc}") from None
    except RuntimeError as exc:  # no controller leader: retriable
        raise HttpError(503, f"Not ready: {exc}") from None
    return json_response({})


@routes.post(
    "/v1/cluster/partitions/{namespace}/{topic}",
    summary="Disable or enable every partition of a topic",
    auth=SUPERUSER,
    body=_BODY,
    response=OBJ,
)
async def post_cluster_partitions_topic(request: web.Request) -> web.Response:
    return await _toggle(request, None)


@routes.post(
    "/v1/cluster/partitions/{namespace}/{topic}/{partition}",
    summary="Disable or enable one partition",
    auth=SUPERUSER,
    path_types={"partition": INT},
    body=_BODY,
    response=OBJ,
)
async def post_cluster_partitions_topic_partition(request: web.Request) -> web.Response:
    partition = int_param(request.match_info["partition"], "partition")
    return await _toggle(request, partition)
