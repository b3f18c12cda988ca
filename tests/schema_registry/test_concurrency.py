"""Two registry instances on one `_schemas` topic (as on two brokers of a cluster) register
at the same time: optimistic writes give every schema its own id and version, and both
instances end with the same state."""

from __future__ import annotations

import asyncio
import json

from core.schema_registry.service import Registry


def schema(i: int) -> str:
    return json.dumps(
        {"type": "record", "name": f"Race{i}", "fields": [{"name": "a", "type": "int"}]}
    )


def state(reg: Registry) -> dict:
    return {(v.subject, v.version): (v.id, v.schema) for v in reg.store.all_versions()}


async def test_two_writers_agree(registry_broker, sr):
    assert sr.put("/config/race", json={"compatibility": "NONE"}).status_code == 200
    bootstrap = registry_broker[0].bootstrap
    a, b = Registry(bootstrap), Registry(bootstrap)
    try:
        await asyncio.gather(a.ready(), b.ready())
        writers = [a, b] * 6
        ids = await asyncio.gather(
            *(reg.register("race", {"schema": schema(i)}, False) for i, reg in enumerate(writers))
        )
        await asyncio.gather(a.log.catch_up(), b.log.catch_up())
        assert state(a) == state(b)
        race = {k: v for k, v in state(a).items() if k[0] == "race"}
        assert sorted(v for _, v in race) == list(range(1, 13))
        by_id = {schema_id: text for schema_id, text in race.values()}
        assert len(by_id) == 12 and sorted(by_id) == sorted(ids)
        for i, schema_id in enumerate(ids):
            assert json.loads(by_id[schema_id])["name"] == f"Race{i}"
        # the broker's own registry (a third instance) serves the same
        listed = sr.get("/subjects/race/versions").json()
        assert listed == list(range(1, 13))
    finally:
        await asyncio.gather(a.log.stop(), b.log.stop())
