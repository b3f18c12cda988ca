"""The produce path: a request's records grouped by partition, one batch per partition sent
whole, and the response's offsets rendered as JSON text.

Per-record Python work is kept to what each record needs (its bytes, and a partition only when
it has a key or names one): keyless records of a request all go to one partition (the sticky
partitioner) without being grouped one by one, and each offset is one string format. Partitions
this broker leads take the batch directly (core.proxy.local_produce); others go through an
aiokafka producer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from aiokafka.partitioner import DefaultPartitioner

from core.proxy.errors import PARTITION_NOT_FOUND, ProxyError, kafka_error_code
from core.proxy.formats import Records

_PARTITIONER = DefaultPartitioner()


def ok_offsets(out: list[str], members: Sequence[int], partition: int, base: int) -> None:
    """out[i] for the i in `members`: the offsets base, base + 1, ... in partition."""
    prefix = f'{{"partition":{partition:d},"offset":'
    texts = [f"{prefix}{offset}}}" for offset in range(base, base + len(members))]
    if isinstance(members, range) and members.step == 1:
        out[members.start : members.stop] = texts
    else:
        for i, text in zip(members, texts):
            out[i] = text


def failed(out: list[str], members: Sequence[int], exc: BaseException) -> None:
    code = exc.error_code if isinstance(exc, ProxyError) else kafka_error_code(exc)
    message = exc.message if isinstance(exc, ProxyError) else str(exc) or type(exc).__name__
    text = json.dumps({"partition": None, "offset": None, "error_code": code, "error": message})
    for i in members:
        out[i] = text


def check_partitions(topic: str, records: Records, count: int, fixed: int | None) -> None:
    named = [fixed] if fixed is not None else records.partitions or ()
    for p in named:
        if p is not None and p >= count:
            raise ProxyError(PARTITION_NOT_FOUND, f"Partition {p} of {topic} not found.")


def group(records: Records, count: int, sticky: int, fixed: int | None) -> dict[int, range | list]:
    """partition -> the indexes of its records, in order. Keyed records go where Kafka's
    murmur2 partitioner puts them; keyless ones to `sticky`, unless a record names one."""
    n = len(records.values)
    if fixed is not None:
        return {fixed: range(n)}
    keys, named = records.keys, records.partitions
    if named is None and not any(k is not None for k in keys):
        return {sticky: range(n)}
    everywhere = list(range(count))
    groups: dict[int, range | list] = {}
    for i, key in enumerate(keys):
        p = named[i] if named is not None else None
        if p is None:
            p = sticky if key is None else _PARTITIONER(key, everywhere, everywhere)
        members = groups.get(p)
        if members is None:
            groups[p] = [i]
        else:
            members.append(i)  # type: ignore[union-attr]  # only lists are built here
    return groups


async def send_all(
    st: Any,
    kafka: Any,
    topic: str,
    records: Records,
    count: int,
    fixed: int | None = None,
    principal: str | None = None,
) -> list[str]:
    """Each record's offset (or error) as a JSON object's text, in request order: through the
    partitions led here when `principal` (None: the proxy's own client) may write them, else
    through `kafka`'s producers (the user's own clients when it acts as the user)."""
    if not records.values:
        return []
    groups = group(records, count, kafka.sticky_partition(count), fixed)
    out = [""] * len(records.values)
    sends = []
    producer = None
    for p, members in groups.items():
        part = st.local.leader(topic, p, "WRITE", principal)
        if part is not None:
            st.local.check_topic(topic)
            sends.append(st.local.append(part, records, members, out))
            continue
        producer = producer or kafka.producer()
        sends.append(_send_partition(producer, topic, p, records, members, out))
    if len(sends) == 1:
        await sends[0]
    else:
        await asyncio.gather(*sends)
    return out


def response_text(key_id: int | None, value_id: int | None, out: list[str]) -> str:
    key = "null" if key_id is None else str(key_id)
    value = "null" if value_id is None else str(value_id)
    return f'{{"key_schema_id":{key},"value_schema_id":{value},"offsets":[{",".join(out)}]}}'


async def _send_partition(
    producer: Any,
    topic: str,
    partition: int,
    records: Records,
    members: Sequence[int],
    out: list[str],
) -> None:
    keys, values = records.keys, records.values
    chunks: list[tuple[Any, list[int]]] = []
    batch = producer.create_batch()
    chunk: list[int] = []
    for i in members:
        if batch.append(key=keys[i], value=values[i], timestamp=None) is None:
            chunks.append((batch, chunk))
            batch, chunk = producer.create_batch(), []
            if batch.append(key=keys[i], value=values[i], timestamp=None) is None:
                failed(out, [i], ProxyError(42205, "record larger than a batch"))
                continue
        chunk.append(i)
    if chunk:
        chunks.append((batch, chunk))
    for batch, chunk in chunks:
        try:
            meta = await (await producer.send_batch(batch, topic, partition=partition))
        except Exception as exc:
            failed(out, chunk, exc)
            continue
        ok_offsets(out, chunk, partition, meta.offset)
