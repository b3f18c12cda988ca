"""Concurrent produce requests to one partition share batches (core.proxy.coalesce): each
request still gets its own contiguous offsets, and a Kafka consumer reads every record once,
in each request's order, at the offset the proxy reported."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest

from tests.proxy.test_local_produce import read_all
from tests.support.proxy import BINARY, JSON, V2, b64, proxy_url
from tests.support.topics import make_topic


async def _post_all(url: str, topic: str, bodies: list[dict], fmt: str) -> list[list[dict]]:
    headers = {"Content-Type": fmt, "Accept": V2}
    limits = httpx.Limits(max_connections=len(bodies))
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        answers = await asyncio.gather(
            *(http.post(f"/topics/{topic}", json=body, headers=headers) for body in bodies)
        )
    for r in answers:
        assert r.status_code == 200, r.text
    return [r.json()["offsets"] for r in answers]


def _check_offsets(all_offsets: list[list[dict]], sizes: list[int]) -> dict[int, tuple[int, int]]:
    """Each request's offsets: one partition, contiguous, no offset given twice; the map
    offset -> (request, position)."""
    where: dict[int, tuple[int, int]] = {}
    for req, (offsets, size) in enumerate(zip(all_offsets, sizes)):
        assert len(offsets) == size
        assert all("error_code" not in o and o["partition"] == 0 for o in offsets), offsets
        first = offsets[0]["offset"]
        assert [o["offset"] for o in offsets] == list(range(first, first + size))
        for pos, o in enumerate(offsets):
            assert o["offset"] not in where, f"offset {o['offset']} given twice"
            where[o["offset"]] = (req, pos)
    return where


def test_concurrent_requests_get_contiguous_offsets_and_read_back_once(proxy_broker):
    topic = f"co-{uuid.uuid4().hex[:8]}"
    make_topic(proxy_broker.bootstrap, topic, 1)
    bodies = [
        {"records": [{"key": f"r{r}-k{i}", "value": {"r": r, "i": i}} for i in range(20)]}
        for r in range(30)
    ]
    all_offsets = asyncio.run(_post_all(proxy_url(proxy_broker), topic, bodies, JSON))
    where = _check_offsets(all_offsets, [20] * 30)
    assert sorted(where) == list(range(600))
    msgs = read_all(proxy_broker.bootstrap, topic, 0, 600)
    assert [m.offset() for m in msgs] == list(range(600))  # each record once
    for m in msgs:
        req, pos = where[m.offset()]
        assert m.key() == json.dumps(f"r{req}-k{pos}").encode()
        assert m.value() == json.dumps({"r": req, "i": pos}, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("requests", "records", "size"),
    [
        (12, 40, 8192),  # 3.8 MB together: several 1 MiB batches
        (6, 64, 32768),  # 12.6 MB: past the coalescer's 8 MiB pending bound too
    ],
)
def test_concurrent_large_requests_split_at_max_message_bytes(
    proxy_broker, requests, records, size
):
    """Concurrent requests larger together than max.message.bytes (1 MiB): several batches,
    a request's records possibly across two, offsets still per request."""
    topic = f"co-{uuid.uuid4().hex[:8]}"
    make_topic(proxy_broker.bootstrap, topic, 1)
    bodies = [
        {
            "records": [
                {"key": b64(f"{r}/{i}"), "value": b64(bytes([r]) * size)} for i in range(records)
            ]
        }
        for r in range(requests)
    ]
    all_offsets = asyncio.run(_post_all(proxy_url(proxy_broker), topic, bodies, BINARY))
    where = _check_offsets(all_offsets, [records] * requests)
    total = requests * records
    msgs = read_all(proxy_broker.bootstrap, topic, 0, total)
    assert [m.offset() for m in msgs] == list(range(total))
    for m in msgs:
        req, pos = where[m.offset()]
        assert m.key() == f"{req}/{pos}".encode()
        assert m.value() == bytes([req]) * size


def test_a_record_too_large_fails_alone(proxy_broker):
    """Among concurrent requests, a record larger than the topic's max.message.bytes gets its
    own batch: it fails with 42205 in its own request, every other record is appended."""
    topic = f"co-{uuid.uuid4().hex[:8]}"
    make_topic(proxy_broker.bootstrap, topic, 1, {"max.message.bytes": "20000"})
    small = [{"value": b64(f"v{i}")} for i in range(5)]
    bodies = [{"records": small} for _ in range(8)]
    bodies[3] = {"records": [*small[:2], {"value": b64(b"x" * 30_000)}, *small[2:]]}
    headers = {"Content-Type": BINARY, "Accept": V2}

    async def post_all() -> list[dict]:
        async with httpx.AsyncClient(base_url=proxy_url(proxy_broker), timeout=60) as http:
            posts = (http.post(f"/topics/{topic}", json=b, headers=headers) for b in bodies)
            answers = await asyncio.gather(*posts)
        assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
        return [r.json()["offsets"] for r in answers]

    all_offsets = asyncio.run(post_all())
    failed = [
        (r, i)
        for r, offsets in enumerate(all_offsets)
        for i, o in enumerate(offsets)
        if o.get("error_code")
    ]
    assert failed == [(3, 2)]
    assert all_offsets[3][2]["error_code"] == 42205
    good = sorted(o["offset"] for offsets in all_offsets for o in offsets if "error_code" not in o)
    assert good == list(range(40))
    msgs = read_all(proxy_broker.bootstrap, topic, 0, 40)
    assert all(len(m.value()) < 10 for m in msgs)
