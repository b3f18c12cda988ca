"""Shared by the registry tests: Avro record schemas, registering, asserting Confluent errors."""

from __future__ import annotations

import json

CT = "application/vnd.schemaregistry.v1+json"


def avro_record(name: str, *fields: tuple) -> str:
    """Fields as (name, type) or (name, type, default)."""
    out = [
        {"name": f[0], "type": f[1], **({"default": f[2]} if len(f) > 2 else {})} for f in fields
    ]
    return json.dumps({"type": "record", "name": name, "fields": out})


def error(response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code, body
    assert "Traceback" not in body["message"]
    return body["message"]


def register(sr, subject: str, schema: str, **extra) -> int:
    r = sr.post(f"/subjects/{subject}/versions", json={"schema": schema, **extra})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(CT)
    return r.json()["id"]
