"""Compatibility, table-driven per type and level, through the HTTP API: the check endpoint's
answer, and registration (409 exactly when incompatible)."""

from __future__ import annotations

import re

import pytest

from tests.schema_registry.compat_cases import AVRO, JSON, PROTOBUF

CASES = [("AVRO", *c) for c in AVRO] + [("JSON", *c) for c in JSON]
CASES += [("PROTOBUF", *c) for c in PROTOBUF]


@pytest.mark.parametrize(
    "schema_type, name, level, earlier, new, compatible",
    CASES,
    ids=[f"{c[0]}:{c[1]}" for c in CASES],
)
def test_compatibility(sr, schema_type, name, level, earlier, new, compatible):
    subject = re.sub(r"[^a-zA-Z0-9]", "-", f"{schema_type}-{name}")
    assert sr.put(f"/config/{subject}", json={"compatibility": "NONE"}).status_code == 200
    for schema in earlier:
        r = sr.post(
            f"/subjects/{subject}/versions", json={"schema": schema, "schemaType": schema_type}
        )
        assert r.status_code == 200, r.text
    assert sr.put(f"/config/{subject}", json={"compatibility": level}).status_code == 200
    body = {"schema": new, "schemaType": schema_type}
    r = sr.post(
        f"/compatibility/subjects/{subject}/versions", params={"verbose": "true"}, json=body
    )
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["is_compatible"] is compatible, result["messages"]
    assert bool(result["messages"]) is not compatible
    r = sr.post(f"/subjects/{subject}/versions", json=body)
    assert r.status_code == (200 if compatible else 409), r.text
