"""JSON Schema drafts 4, 6, 7, 2019-09 and 2020-12, each checked against its own meta-schema
(a keyword form valid in one draft and not in another is refused there, with 42201 naming
where), and an unknown dialect refused."""

from __future__ import annotations

import json

import pytest

from tests.schema_registry.helpers import error, register

DRAFTS = {
    "draft4": "http://json-schema.org/draft-04/schema#",
    "draft6": "http://json-schema.org/draft-06/schema#",
    "draft7": "http://json-schema.org/draft-07/schema#",
    "draft2019": "https://json-schema.org/draft/2019-09/schema",
    "draft2020": "https://json-schema.org/draft/2020-12/schema",
}


def _schema(dialect: str, **extra) -> str:
    body = {"$schema": dialect, "type": "object", "properties": {"a": {"type": "integer"}}}
    return json.dumps({**body, **extra})


@pytest.mark.parametrize("name", sorted(DRAFTS))
def test_each_draft_registers_and_checks_its_meta_schema(sr, name):
    dialect = DRAFTS[name]
    subject = f"drafts-{name}"
    schema_id = register(sr, subject, _schema(dialect), schemaType="JSON")
    got = sr.get(f"/schemas/ids/{schema_id}").json()
    assert got["schemaType"] == "JSON" and json.loads(got["schema"])["$schema"] == dialect
    bad = _schema(dialect, properties={"a": {"type": "integer", "minimum": "zero"}})
    message = error(
        sr.post(f"/subjects/{subject}/versions", json={"schema": bad, "schemaType": "JSON"}),
        422,
        42201,
    )
    assert "properties/a/minimum" in message


def test_draft4_boolean_exclusive_maximum_only_in_draft4(sr):
    draft4 = _schema(DRAFTS["draft4"], maximum=5, exclusiveMaximum=True)
    register(sr, "drafts-excl4", draft4, schemaType="JSON")
    draft7 = _schema(DRAFTS["draft7"], maximum=5, exclusiveMaximum=True)
    r = sr.post("/subjects/drafts-excl7/versions", json={"schema": draft7, "schemaType": "JSON"})
    error(r, 422, 42201)  # a number since draft 6


def test_unknown_dialect(sr):
    schema = _schema("https://example.com/my-own-draft")
    r = sr.post("/subjects/drafts-unknown/versions", json={"schema": schema, "schemaType": "JSON"})
    assert "unknown $schema dialect" in error(r, 422, 42201)
