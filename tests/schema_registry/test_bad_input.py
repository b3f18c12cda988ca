"""Bad input never gets a 5xx or a traceback: every answer is a Confluent error body."""

from __future__ import annotations

import json

import pytest

DEEP = "[" * 100000 + "]" * 100000
DEEP_SCHEMA = json.dumps({"schema": '{"type":' * 3000 + '"int"' + "}" * 3000})

BODIES = [
    b"",
    b"null",
    b"123",
    b'"schema"',
    DEEP.encode(),
    b'{"schema": 5}',
    b'{"schema": "\\"int\\"", "schemaType": 5}',
    b'{"schema": "\\"int\\"", "references": "x"}',
    b'{"schema": "\\"int\\"", "references": [{"name": 1}]}',
    b'{"schema": "\\"int\\"", "references": [{"name": "a", "subject": "b", "version": true}]}',
    b'{"schema": "\\"int\\"", "id": -1}',
    b'{"schema": "\\"int\\"", "version": "x"}',
    b'{"schema": "{\\"type\\": \\"record\\", \\"name\\": \\"R\\", \\"fields\\": 5}"}',
    b'{"schema": "{\\"type\\": \\"enum\\", \\"name\\": \\"E\\", \\"symbols\\": [1]}"}',
    b'{"schema": "[]"}',
    b'{"schema": "{\\"type\\": \\"array\\"}"}',
    b'{"schema": "{\\"$ref\\": \\"#/nowhere\\"}", "schemaType": "JSON"}',
    b'{"schema": "{\\"$schema\\": \\"http://nope\\"}", "schemaType": "JSON"}',
    b'{"schema": "\\u0000", "schemaType": "PROTOBUF"}',
    b'{"schema": "QUJD", "schemaType": "PROTOBUF"}',
    b'{"schema": "import \\"../../etc/passwd\\";", "schemaType": "PROTOBUF"}',
    DEEP_SCHEMA.encode(),
    b"\xff\xfe",
]

PATHS = [
    ("POST", "/subjects/x/versions"),
    ("POST", "/subjects/x"),
    ("POST", "/compatibility/subjects/x/versions/latest"),
    ("POST", "/compatibility/subjects/x/versions"),
    ("PUT", "/config"),
    ("PUT", "/config/x"),
    ("PUT", "/mode"),
    ("PUT", "/mode/x"),
]


@pytest.mark.parametrize("method, path", PATHS)
def test_bad_bodies(sr, method, path):
    sr.post("/subjects/x/versions", json={"schema": '"int"'})
    for body in BODIES:
        r = sr.request(method, path, content=body, headers={"content-type": "application/json"})
        assert r.status_code < 500, (body[:80], r.text)
        if r.status_code >= 400:
            assert isinstance(r.json()["error_code"], int)
            assert "Traceback" not in r.text


@pytest.mark.parametrize(
    "path",
    [
        "/subjects/x/versions/1e3",
        "/subjects/x/versions/99999999999999999999999",
        "/subjects/x/versions/-2",
        "/schemas/ids/-1",
        "/schemas/ids/99999999999999999999999",
        "/schemas?offset=x",
        "/schemas?limit=-5",
        "/subjects/%00/versions",
        "/subjects/" + "a" * 5000 + "/versions",
        "/config/%2F%2F",
    ],
)
def test_bad_paths(sr, path):
    r = sr.get(path)
    assert r.status_code < 500, r.text
    assert "error_code" in r.json() or r.status_code == 200


def test_broker_logged_no_traceback(registry_broker, sr):
    sr.get("/subjects")
    assert "Traceback" not in registry_broker[0].log_text()
