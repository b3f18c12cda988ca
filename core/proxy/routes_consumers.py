"""Consumer instances: create/delete, subscription, assignments, positions, offsets, records."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from aiohttp import web
from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndMetadata

from core.proxy import media
from core.proxy.consumers import Instance, parse_instance_config
from core.proxy.errors import (
    INVALID_DATA,
    KAFKA_RETRIABLE,
    MUTUALLY_EXCLUSIVE,
    ProxyError,
    from_kafka,
    illegal_state,
    json_response,
)
from core.proxy.formats import record_size
from core.proxy.render import RecordWriter, array_text
from core.proxy.spec import (
    KAFKA_KEY,
    TP,
    TP_OFFSET,
    RouteList,
    kafka,
    legal_topic,
    principal,
    query_int,
    read_body,
    state,
    tp_list,
)
from core.proxy.state import ProxyState

T = TypeVar("T")
routes = RouteList()
BASE = "/consumers/{group}/instances/{instance}"
FORMAT_TYPES = tuple(f"application/vnd.kafka.{f}.v2+json" for f in media.SERVED_FORMATS)
TOPICS = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 249}}


def _no_content() -> web.Response:
    return web.Response(status=204)


def _get(request: web.Request) -> Instance:
    info = request.match_info
    return state(request).consumers.get(info["group"], info["instance"], principal(request))


@asynccontextmanager
async def _instance(request: web.Request) -> AsyncIterator[Instance]:
    inst = _get(request)
    await inst.locked()
    try:
        yield inst
    except ProxyError:
        raise
    except Exception as exc:
        if type(exc).__module__.startswith("aiokafka"):
            raise from_kafka(exc) from None
        raise
    finally:
        inst.release()


@routes.add(
    "POST",
    "/consumers/{group}",
    summary="Create a consumer instance",
    body={
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "format": {"type": "string"},
            "auto.offset.reset": {"type": "string"},
            "auto.commit.enable": {},
            "fetch.min.bytes": {},
            "consumer.request.timeout.ms": {},
        },
    },
)
async def create_consumer(request: web.Request) -> web.Response:
    media.check_v2_body(request)
    media.check_accept(request)
    st: ProxyState = state(request)
    group = request.match_info["group"]
    if not 0 < len(group) <= 249:
        raise ProxyError(42204, "the group name must be 1 to 249 characters")
    config = parse_instance_config(await read_body(request, required=False))
    side = request.get(KAFKA_KEY)  # the user's own clients: the instance joins as the user
    settings = None if side is None else side.settings
    inst = await st.consumers.create(group, config, settings, principal(request))
    base = f"{request.scheme}://{request.host}/consumers/{group}/instances/{inst.name}"
    return json_response({"instance_id": inst.name, "base_uri": base})


@routes.add("DELETE", BASE, summary="Delete a consumer instance", ok_status=204)
async def delete_consumer(request: web.Request) -> web.Response:
    st: ProxyState = state(request)
    info = request.match_info
    await st.consumers.delete(info["group"], info["instance"], principal(request))
    return _no_content()


@routes.add(
    "POST",
    BASE + "/subscription",
    summary="Subscribe to topics or a pattern",
    body={"type": "object", "properties": {"topics": TOPICS, "topic_pattern": {"type": "string"}}},
    ok_status=204,
)
async def subscribe(request: web.Request) -> web.Response:
    media.check_v2_body(request)
    body = await read_body(request)
    topics, pattern = _subscription(body)
    async with _instance(request) as inst:
        consumer = inst.consumer
        if inst.manual and consumer.assignment():
            raise illegal_state(MUTUALLY_EXCLUSIVE)
        # the Java consumer's subscription types: topics and a pattern do not replace each other
        by_topics = inst.pattern is None and not inst.manual and bool(consumer.subscription())
        if (inst.pattern is not None and pattern is None) or (by_topics and pattern is not None):
            raise illegal_state(MUTUALLY_EXCLUSIVE)
        if inst.manual:
            await state(request).consumers.renew(inst)
            consumer = inst.consumer
        if pattern is not None:
            consumer.subscribe(pattern=pattern)
        else:
            consumer.subscribe(topics=topics)
        inst.pattern = pattern
    return _no_content()


def _subscription(body: Any) -> tuple[list[str], str | None]:
    if not isinstance(body, dict):
        raise ProxyError(INVALID_DATA, "expected an object with 'topics' or 'topic_pattern'")
    topics, pattern = body.get("topics"), body.get("topic_pattern")
    if (topics is None) == (pattern is None):  # Confluent ignores such a body; refused here
        raise ProxyError(INVALID_DATA, "give exactly one of topics and topic_pattern")
    if pattern is not None:
        if not isinstance(pattern, str) or not pattern:
            raise ProxyError(INVALID_DATA, "topic_pattern must be a regular expression")
        try:
            re.compile(pattern)
        except (re.error, RecursionError, OverflowError):
            raise ProxyError(INVALID_DATA, "topic_pattern is not a valid pattern") from None
        return [], pattern
    ok = isinstance(topics, list) and topics and all(isinstance(t, str) for t in topics)
    if not ok or not isinstance(topics, list):
        raise ProxyError(INVALID_DATA, "topics must be a non-empty array of topic names")
    for topic in topics:
        if not legal_topic(topic):
            raise ProxyError(INVALID_DATA, f"{topic!r} is not a legal Kafka topic name")
    return sorted(set(topics)), None


@routes.add("GET", BASE + "/subscription", summary="Subscribed topics")
async def get_subscription(request: web.Request) -> web.Response:
    media.check_accept(request)
    async with _instance(request) as inst:
        topics = [] if inst.manual else sorted(inst.consumer.subscription())
    return json_response({"topics": topics})


@routes.add("DELETE", BASE + "/subscription", summary="Unsubscribe", ok_status=204)
async def delete_subscription(request: web.Request) -> web.Response:
    async with _instance(request) as inst:
        if inst.manual:  # aiokafka's coordinator fails on unsubscribe() after assign()
            await state(request).consumers.renew(inst)
        else:
            inst.consumer.unsubscribe()
        inst.pattern = None
    return _no_content()


@routes.add(
    "POST",
    BASE + "/assignments",
    summary="Assign partitions manually",
    ok_status=204,
    body={"type": "object", "properties": {"partitions": {"type": "array", "items": TP}}},
)
async def assign(request: web.Request) -> web.Response:
    media.check_v2_body(request)
    tps = [TopicPartition(t, p) for t, p, _, _ in tp_list(await read_body(request), "partitions")]
    for tp in tps:  # 40401/40402 now, rather than seeks and fetches that wait for it forever
        await kafka(request).check_partition(tp.topic, tp.partition)
    async with _instance(request) as inst:
        if inst.consumer.subscription() and not inst.manual:
            raise illegal_state(MUTUALLY_EXCLUSIVE)
        inst.consumer.assign(tps)
        inst.manual = True
        state(request).reads.split(inst.consumer, inst.owner)  # aiokafka leaves local ones
    return _no_content()


@routes.add("GET", BASE + "/assignments", summary="Assigned partitions")
async def get_assignments(request: web.Request) -> web.Response:
    media.check_accept(request)
    async with _instance(request) as inst:
        tps = sorted(inst.consumer.assignment())
    return json_response(
        {"partitions": [{"topic": t.topic, "partition": t.partition} for t in tps]}
    )


def _assigned(inst: Instance, tps: list[TopicPartition]) -> None:
    missing = [tp for tp in tps if tp not in inst.consumer.assignment()]
    if missing:
        tp = missing[0]
        raise illegal_state(f"No current assignment for partition {tp.topic}-{tp.partition}")


@routes.add(
    "POST",
    BASE + "/positions",
    summary="Seek to offsets",
    ok_status=204,
    body={"type": "object", "properties": {"offsets": {"type": "array", "items": TP_OFFSET}}},
)
async def seek(request: web.Request) -> web.Response:
    media.check_v2_body(request)
    entries = tp_list(await read_body(request), "offsets", with_offset=True)
    async with _instance(request) as inst:
        _assigned(inst, [TopicPartition(t, p) for t, p, _, _ in entries])
        for t, p, offset, _ in entries:
            inst.consumer.seek(TopicPartition(t, p), offset)
    return _no_content()


# aiokafka retries a commit, an offset fetch or a seek for as long as the group or the topic is
# not ready (an unjoined group, a topic that does not exist), holding the instance meanwhile.
KAFKA_OP_TIMEOUT_S = 5.0


async def _bounded(op: Awaitable[T], what: str) -> T:
    try:
        async with asyncio.timeout(KAFKA_OP_TIMEOUT_S):
            return await op
    except TimeoutError:
        raise ProxyError(
            KAFKA_RETRIABLE, f"{what} did not complete within {KAFKA_OP_TIMEOUT_S:.0f} s; retry"
        ) from None


async def _seek_edge(request: web.Request, end: bool) -> web.Response:
    media.check_v2_body(request)
    tps = [TopicPartition(t, p) for t, p, _, _ in tp_list(await read_body(request), "partitions")]
    async with _instance(request) as inst:
        _assigned(inst, tps)
        if tps:
            if end:
                await _bounded(inst.consumer.seek_to_end(*tps), "seek to the end")
            else:
                await _bounded(inst.consumer.seek_to_beginning(*tps), "seek to the beginning")
    return _no_content()


EDGE_BODY = {"type": "object", "properties": {"partitions": {"type": "array", "items": TP}}}


@routes.add(
    "POST",
    BASE + "/positions/beginning",
    summary="Seek to the beginning",
    body=EDGE_BODY,
    ok_status=204,
)
async def seek_beginning(request: web.Request) -> web.Response:
    return await _seek_edge(request, end=False)


@routes.add(
    "POST", BASE + "/positions/end", summary="Seek to the end", body=EDGE_BODY, ok_status=204
)
async def seek_end(request: web.Request) -> web.Response:
    return await _seek_edge(request, end=True)


@routes.add(
    "POST",
    BASE + "/offsets",
    summary="Commit offsets (all consumed when no body)",
    body={"type": "object", "properties": {"offsets": {"type": "array", "items": TP_OFFSET}}},
    ok_status=204,
)
async def commit(request: web.Request) -> web.Response:
    media.check_v2_body(request)
    body = await read_body(request, required=False)
    offsets = None
    if body is not None and not (isinstance(body, dict) and not body.get("offsets")):
        entries = tp_list(body, "offsets", with_offset=True)
        offsets = {TopicPartition(t, p): OffsetAndMetadata(o, m) for t, p, o, m in entries}
    async with _instance(request) as inst:
        if offsets is None and not inst.consumer.assignment():
            return _no_content()
        await _bounded(inst.consumer.commit(offsets), "commit")
    return _no_content()


@routes.add(
    "GET",
    BASE + "/offsets",
    summary="Committed offsets",
    body={"type": "object", "properties": {"partitions": {"type": "array", "items": TP}}},
)
async def get_committed(request: web.Request) -> web.Response:
    media.check_accept(request)
    entries = tp_list(await read_body(request), "partitions")
    out = []
    async with _instance(request) as inst:
        for t, p, _, _ in entries:
            offset = await _bounded(inst.consumer.committed(TopicPartition(t, p)), "offset fetch")
            out.append(
                {
                    "topic": t,
                    "partition": p,
                    "offset": -1 if offset is None else offset,
                    "metadata": "",
                }
            )
    return json_response({"offsets": out})


@routes.add(
    "GET",
    BASE + "/records",
    summary="Fetch records in the instance's format",
    query={
        "timeout": {"type": "integer", "minimum": 0, "maximum": 60000},
        "max_bytes": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    },
    response_types=FORMAT_TYPES,
)
async def get_records(request: web.Request) -> web.Response:
    st: ProxyState = state(request)
    inst = _get(request)
    fmt = media.records_format(request, inst.config.fmt)
    timeout_ms = query_int(
        request, "timeout", inst.config.request_timeout_ms, 0, st.limits.max_fetch_timeout_ms
    )
    max_bytes = query_int(request, "max_bytes", st.limits.default_response_bytes, 0, 2**31 - 1)
    max_bytes = min(max_bytes, st.limits.max_response_bytes)
    async with _instance(request) as inst:
        consumer = inst.consumer
        if not consumer.subscription() and not consumer.assignment():
            raise illegal_state(
                "Consumer is not subscribed to any topics or assigned any partitions"
            )
        batches = await st.reads.getmany(
            consumer,
            timeout_ms,
            st.limits.max_records_per_response,
            max_bytes,
            inst.config.offset_reset,
            inst.owner,
        )
        codecs = None
        if fmt in media.SCHEMA_FORMATS:
            codecs = await st.registry.codecs_for([r for rs in batches.values() for r in rs])
        out = _take(consumer, RecordWriter(fmt, codecs), batches, max_bytes)
    return web.Response(body=array_text(out), content_type=f"application/vnd.kafka.{fmt}.v2+json")


def _take(
    consumer: Any, writer: RecordWriter, batches: dict[Any, list[Any]], max_bytes: int
) -> list[bytes]:
    """Render records up to max_bytes (at least one); rewind partitions cut short so nothing
    fetched but not returned is skipped."""
    out: list[bytes] = []
    size = 0
    for tp, records in batches.items():
        for i, rec in enumerate(records):
            size += record_size(rec)
            if out and size > max_bytes:
                consumer.seek(tp, records[i].offset)
                break
            try:
                out.append(writer.text(rec))
            except ProxyError:
                consumer.seek(tp, rec.offset)
                if out:
                    return out
                raise
    return out
