"""Metadata, produce and Redpanda's partition records GET."""

from __future__ import annotations

from aiohttp import web

from core.proxy import media
from core.proxy.errors import PARTITION_NOT_FOUND, V2_JSON, ProxyError, json_response
from core.proxy.formats import Records, parse_produce, record_size
from core.proxy.jsonbody import InexactNumber, fast_loads, loads, plain_strings
from core.proxy.local_read import read_at
from core.proxy.produce import check_partitions, response_text, send_all
from core.proxy.render import RecordWriter, array_text
from core.proxy.schema_produce import encode_produce
from core.proxy.spec import (
    INT64,
    NAME,
    PARTITION,
    RouteList,
    kafka,
    parse_body,
    partition_param,
    principal,
    query_int,
    read_raw,
    state,
)
from core.proxy.state import ProxyState

routes = RouteList()
FORMAT_TYPES = tuple(f"application/vnd.kafka.{f}.v2+json" for f in media.SERVED_FORMATS)
PRODUCE_BODY = {
    "type": "object",
    "properties": {
        "records": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"key": {}, "value": {}, "partition": PARTITION},
            },
        }
    },
    "required": ["records"],
}


@routes.add("GET", "/brokers", summary="Broker ids")
async def get_brokers(request: web.Request) -> web.Response:
    media.check_accept(request)
    return json_response({"brokers": await kafka(request).brokers()})


@routes.add("GET", "/topics", summary="Topic names")
async def get_topics(request: web.Request) -> web.Response:
    media.check_accept(request)
    return json_response(await kafka(request).topics())


@routes.add("GET", "/topics/{topic}", summary="A topic's configs and partitions")
async def get_topic(request: web.Request) -> web.Response:
    media.check_accept(request)
    side = kafka(request)
    topic = request.match_info["topic"]
    partitions = await side.partitions(topic)
    configs = await side.topic_configs(topic)
    body = {"name": topic, "configs": configs, "partitions": [p.as_json() for p in partitions]}
    return json_response(body)


@routes.add("GET", "/topics/{topic}/partitions", summary="A topic's partitions")
async def get_partitions(request: web.Request) -> web.Response:
    media.check_accept(request)
    partitions = await kafka(request).partitions(request.match_info["topic"])
    return json_response([p.as_json() for p in partitions])


@routes.add("GET", "/topics/{topic}/partitions/{partition}", summary="One partition")
async def get_partition(request: web.Request) -> web.Response:
    media.check_accept(request)
    topic, number = request.match_info["topic"], partition_param(request)
    for info in await kafka(request).partitions(topic):
        if info.partition == number:
            return json_response(info.as_json())
    raise ProxyError(PARTITION_NOT_FOUND, f"Partition {number} of {topic} not found.")


@routes.add(
    "GET", "/topics/{topic}/partitions/{partition}/offsets", summary="Beginning and end offsets"
)
async def get_offsets(request: web.Request) -> web.Response:
    media.check_accept(request)
    st: ProxyState = state(request)
    topic, partition = request.match_info["topic"], partition_param(request)
    part = st.local.leader(topic, partition, "DESCRIBE", principal(request))
    if part is not None:
        first, end = part.start_offset, part.high_watermark
    else:
        first, end = await kafka(request).offsets(topic, partition)
    return json_response({"beginning_offset": first, "end_offset": end})


async def _produce(request: web.Request, partition: int | None) -> web.Response:
    fmt = media.produce_format(request)
    media.check_accept(request)
    st: ProxyState = state(request)
    topic = request.match_info["topic"]
    raw = await read_raw(request, st.limits.max_body_bytes)
    key_id = value_id = None
    if fmt in media.SCHEMA_FORMATS:
        records, key_id, value_id = await encode_produce(
            st.registry, parse_body(raw, parse=loads), fmt, topic, st.limits.max_records_per_request
        )
    else:
        records = _parse_records(raw, fmt, st.limits.max_records_per_request)
    side = kafka(request)
    count = await side.partition_count(topic)
    check_partitions(topic, records, count, partition)
    offsets = await send_all(st, side, topic, records, count, partition, principal(request))
    return web.Response(text=response_text(key_id, value_id, offsets), content_type=V2_JSON)


def _parse_records(raw: bytes, fmt: str, max_records: int) -> Records:
    """A binary or json produce body's records: parsed by orjson, and again by json when a
    number may have lost its exactness (core.proxy.jsonbody)."""
    body, exact = parse_body(raw, parse=fast_loads)
    plain = plain_strings(raw)
    try:
        return parse_produce(body, fmt, max_records, exact, plain)
    except InexactNumber:
        return parse_produce(parse_body(raw), fmt, max_records, True, plain)


@routes.add(
    "POST", "/topics/{topic}", summary="Produce records", body=PRODUCE_BODY, body_types=FORMAT_TYPES
)
async def post_topic(request: web.Request) -> web.Response:
    return await _produce(request, None)


@routes.add(
    "POST",
    "/topics/{topic}/partitions/{partition}",
    summary="Produce records to one partition",
    body=PRODUCE_BODY,
    body_types=FORMAT_TYPES,
)
async def post_partition(request: web.Request) -> web.Response:
    partition = partition_param(request)
    await kafka(request).check_partition(request.match_info["topic"], partition)
    return await _produce(request, partition)


@routes.add(
    "GET",
    "/topics/{topic}/partitions/{partition}/records",
    summary="Records of one partition from an offset (Redpanda)",
    query={
        "offset": INT64,
        "timeout": {"type": "integer", "minimum": 0, "maximum": 60000},
        "max_bytes": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    },
    response_types=FORMAT_TYPES,
)
async def get_partition_records(request: web.Request) -> web.Response:
    st: ProxyState = state(request)
    fmt = media.records_format(request, None)
    topic, partition = request.match_info["topic"], partition_param(request)
    offset = query_int(request, "offset", None, 0, 2**63 - 1)
    timeout_ms = query_int(request, "timeout", 1000, 0, st.limits.max_fetch_timeout_ms)
    max_bytes = query_int(request, "max_bytes", st.limits.default_response_bytes, 0, 2**31 - 1)
    max_bytes = min(max_bytes, st.limits.max_response_bytes)
    max_records = st.limits.max_records_per_response
    part = st.local.leader(topic, partition, "READ", principal(request))
    if part is not None:
        fetched = await read_at(part, offset, timeout_ms, max_bytes, max_records)
    else:
        fetched = await kafka(request).read(topic, partition, offset, timeout_ms, max_records)
    codecs = await st.registry.codecs_for(fetched) if fmt in media.SCHEMA_FORMATS else None
    writer = RecordWriter(fmt, codecs)
    out: list[bytes] = []
    size = 0
    for rec in fetched:
        size += record_size(rec)
        if out and size > max_bytes:
            break
        out.append(writer.text(rec))
    return web.Response(body=array_text(out), content_type=f"application/vnd.kafka.{fmt}.v2+json")


__all__ = ["routes", "NAME"]
