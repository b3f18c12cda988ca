"""Every registry endpoint over HTTP on a real broker: answers, and errors with Confluent's codes."""

from __future__ import annotations

import json

import pytest

from tests.schema_registry.helpers import CT, avro_record, error, register


def test_types_root_and_ready(sr):
    assert sorted(sr.get("/schemas/types").json()) == ["AVRO", "JSON", "PROTOBUF"]
    assert sr.get("/").status_code == 200
    assert sr.get("/status/ready").status_code == 200


def test_register_versions_and_ids(sr):
    v1 = avro_record("User", ("name", "string"))
    v2 = avro_record("User", ("name", "string"), ("age", ["null", "int"], None))
    id1 = register(sr, "users-value", v1)
    assert register(sr, "users-value", v1) == id1  # same schema, same id, no new version
    assert register(sr, "other-value", v1) == id1  # same schema in another subject, same id
    id2 = register(sr, "users-value", v2)
    assert id2 != id1
    assert sr.get("/subjects/users-value/versions").json() == [1, 2]
    latest = sr.get("/subjects/users-value/versions/latest").json()
    assert (latest["version"], latest["id"], latest["subject"]) == (2, id2, "users-value")
    assert "schemaType" not in latest  # omitted for AVRO
    assert sr.get("/subjects/users-value/versions/-1").json() == latest
    assert sr.get("/subjects/users-value/versions/1").json()["id"] == id1
    assert json.loads(sr.get("/subjects/users-value/versions/1/schema").text) == json.loads(v1)
    assert json.loads(sr.get(f"/schemas/ids/{id1}").json()["schema"]) == json.loads(v1)
    assert json.loads(sr.get(f"/schemas/ids/{id1}/schema").text) == json.loads(v1)
    assert sr.get(f"/schemas/ids/{id1}/subjects").json() == ["other-value", "users-value"]
    assert sr.get(f"/schemas/ids/{id1}/versions").json() == [
        {"subject": "other-value", "version": 1},
        {"subject": "users-value", "version": 1},
    ]
    assert {"users-value", "other-value"} <= set(sr.get("/subjects").json())
    assert sr.get("/subjects", params={"subjectPrefix": "us"}).json() == ["users-value"]
    listed = sr.get("/schemas", params={"subjectPrefix": "users"}).json()
    assert [(s["subject"], s["version"]) for s in listed] == [
        ("users-value", 1),
        ("users-value", 2),
    ]
    latest_only = sr.get("/schemas", params={"subjectPrefix": "users", "latestOnly": "true"})
    assert [s["version"] for s in latest_only.json()] == [2]


def test_lookup(sr):
    schema = avro_record("Look", ("a", "int"))
    sid = register(sr, "look", schema)
    spaced = json.dumps(json.loads(schema), indent=4)
    r = sr.post("/subjects/look", json={"schema": spaced})
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["version"], r.json()["subject"]) == (sid, 1, "look")
    error(sr.post("/subjects/look", json={"schema": avro_record("Look", ("b", "int"))}), 404, 40403)
    error(sr.post("/subjects/nobody", json={"schema": schema}), 404, 40401)


def test_normalize(sr):
    a = '{"name":"N","type":"record","fields":[{"type":"int","name":"x"}]}'
    b = '{"type":"record","name":"N","fields":[{"name":"x","type":"int"}]}'
    sid = register(sr, "norm", a, **{})
    r = sr.post("/subjects/norm/versions", params={"normalize": "true"}, json={"schema": b})
    assert r.json()["id"] != sid or r.status_code == 200
    r = sr.post("/subjects/norm", params={"normalize": "true"}, json={"schema": b})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "path, status, code",
    [
        ("/subjects/missing/versions", 404, 40401),
        ("/subjects/missing/versions/1", 404, 40401),
        ("/subjects/users-value/versions/99", 404, 40402),
        ("/subjects/users-value/versions/0", 422, 42202),
        ("/subjects/users-value/versions/abc", 422, 42202),
        ("/subjects/users-value/versions/2147483648", 422, 42202),
        ("/schemas/ids/9999", 404, 40403),
        ("/schemas/ids/abc", 404, 40403),
        ("/schemas/ids/9999/versions", 404, 40403),
        ("/config/missing", 404, 40408),
        ("/mode/missing", 404, 40409),
    ],
)
def test_get_errors(sr, path, status, code):
    error(sr.get(path), status, code)


def test_register_errors(sr):
    post = lambda body, **params: sr.post("/subjects/bad/versions", json=body, params=params)
    error(post({"schema": ""}), 422, 42201)
    error(post({"schema": "{not json"}), 422, 42201)
    msg = error(post({"schema": '{"type":"record","name":"R"}'}), 422, 42201)
    assert "fields" in msg.lower() or "record" in msg.lower()
    error(post({"schema": '{"type":"nope"}'}), 422, 42201)
    error(post({"schema": "{}", "schemaType": "XML"}), 422, 42201)
    error(post({"schema": '{"type": 5}', "schemaType": "JSON"}), 422, 42201)
    error(post({"schema": "message {", "schemaType": "PROTOBUF"}), 422, 42201)
    error(post([1, 2]), 422, 42201)
    ref = {"name": "x", "subject": "nope", "version": 1}
    error(post({"schema": '"string"', "references": [ref]}), 422, 42201)
    r = sr.post("/subjects/bad/versions", content=b"{oops", headers={"content-type": CT})
    assert r.status_code == 400 and r.json()["error_code"] == 400
    error(post({"schema": '"string"', "id": 77}), 422, 42205)  # ids only in IMPORT mode


def test_incompatible_is_409(sr):
    register(sr, "compat", avro_record("C", ("a", "int")))
    r = sr.post("/subjects/compat/versions", json={"schema": avro_record("C", ("a", "string"))})
    assert "incompatible" in error(r, 409, 409)
    check = sr.post(
        "/compatibility/subjects/compat/versions/latest",
        params={"verbose": "true"},
        json={"schema": avro_record("C", ("a", "string"))},
    ).json()
    assert check["is_compatible"] is False and check["messages"]
    ok = sr.post(
        "/compatibility/subjects/compat/versions",
        json={"schema": avro_record("C", ("a", "long"))},
    ).json()
    assert ok == {"is_compatible": True}
    error(
        sr.post("/compatibility/subjects/compat/versions/7", json={"schema": '"int"'}), 404, 40402
    )
    error(sr.post("/compatibility/subjects/none/versions/1", json={"schema": '"int"'}), 404, 40401)


def test_config(sr):
    assert sr.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    assert sr.put("/config/cfg", json={"compatibility": "full"}).json() == {"compatibility": "FULL"}
    assert sr.get("/config/cfg").json() == {"compatibilityLevel": "FULL"}
    assert sr.get("/config/other", params={"defaultToGlobal": "true"}).json() == {
        "compatibilityLevel": "BACKWARD"
    }
    error(sr.put("/config", json={"compatibility": "SIDEWAYS"}), 422, 42203)
    error(sr.put("/config/cfg", json={}), 422, 42203)
    assert sr.delete("/config/cfg").json() == {"compatibilityLevel": "FULL"}
    error(sr.get("/config/cfg"), 404, 40408)
    assert sr.put("/config", json={"compatibility": "NONE"}).status_code == 200
    assert sr.get("/config").json() == {"compatibilityLevel": "NONE"}
    assert sr.put("/config", json={"compatibility": "BACKWARD"}).status_code == 200


def test_mode(sr):
    assert sr.get("/mode").json() == {"mode": "READWRITE"}
    register(sr, "ro", avro_record("RO", ("a", "int")))
    assert sr.put("/mode/ro", json={"mode": "READONLY"}).json() == {"mode": "READONLY"}
    r = sr.post("/subjects/ro/versions", json={"schema": avro_record("RO", ("b", "int"))})
    error(r, 422, 42205)
    error(sr.delete("/subjects/ro"), 422, 42205)
    assert sr.get("/subjects/ro/versions").json() == [1]  # reads still served
    error(sr.put("/mode/ro", json={"mode": "SLEEPY"}), 422, 42204)
    error(sr.put("/mode/ro", json={"mode": "IMPORT"}), 422, 42205)  # it has schemas
    assert sr.delete("/mode/ro").json() == {"mode": "READONLY"}
    assert sr.get("/mode/ro", params={"defaultToGlobal": "true"}).json() == {"mode": "READWRITE"}


def test_import_mode(sr):
    assert sr.put("/mode/imported", json={"mode": "IMPORT"}).status_code == 200
    schema = avro_record("Imp", ("a", "int"))
    r = sr.post("/subjects/imported/versions", json={"schema": schema, "id": 5000, "version": 7})
    assert r.json() == {"id": 5000}, r.text
    got = sr.get("/subjects/imported/versions/7").json()
    assert (got["id"], got["version"]) == (5000, 7)
    other = avro_record("Imp2", ("b", "int"))
    r = sr.post("/subjects/imported/versions", json={"schema": other, "id": 5000, "version": 8})
    error(r, 422, 42207)  # id 5000 holds another schema
    assert sr.put("/mode/imported", json={"mode": "READWRITE"}).status_code == 200
    # new ids continue past the imported one
    assert register(sr, "after-import", avro_record("After", ("a", "int"))) > 5000


def test_soft_then_permanent_delete(sr):
    register(sr, "del", avro_record("D", ("a", "int")))
    register(sr, "del", avro_record("D", ("a", "int"), ("b", ["null", "int"], None)))
    error(sr.delete("/subjects/del/versions/1", params={"permanent": "true"}), 404, 40407)
    assert sr.delete("/subjects/del/versions/1").json() == 1
    error(sr.delete("/subjects/del/versions/1"), 404, 40406)
    assert sr.get("/subjects/del/versions").json() == [2]
    assert sr.get("/subjects/del/versions", params={"deleted": "true"}).json() == [1, 2]
    error(sr.get("/subjects/del/versions/1"), 404, 40402)
    assert sr.get("/subjects/del/versions/1", params={"deleted": "true"}).json()["version"] == 1
    error(sr.delete("/subjects/del", params={"permanent": "true"}), 404, 40405)
    assert sr.delete("/subjects/del").json() == [2]
    error(sr.delete("/subjects/del"), 404, 40404)
    assert "del" not in sr.get("/subjects").json()
    assert "del" in sr.get("/subjects", params={"deleted": "true"}).json()
    assert sr.delete("/subjects/del", params={"permanent": "true"}).json() == [1, 2]
    error(sr.get("/subjects/del/versions", params={"deleted": "true"}), 404, 40401)
    error(sr.delete("/subjects/del"), 404, 40401)


def test_references_and_referenced_delete(sr):
    address = json.dumps(
        {
            "type": "record",
            "name": "Address",
            "namespace": "ex",
            "fields": [{"name": "city", "type": "string"}],
        }
    )
    register(sr, "address", address)
    person = json.dumps(
        {
            "type": "record",
            "name": "Person",
            "namespace": "ex",
            "fields": [{"name": "home", "type": "ex.Address"}],
        }
    )
    refs = [{"name": "ex.Address", "subject": "address", "version": 1}]
    pid = register(sr, "person", person, references=refs)
    got = sr.get(f"/schemas/ids/{pid}").json()
    assert got["references"] == refs
    assert sr.get("/subjects/address/versions/1/referencedby").json() == [pid]
    error(sr.delete("/subjects/address/versions/1"), 422, 42206)
    error(sr.delete("/subjects/address"), 422, 42206)
    assert sr.delete("/subjects/person").json() == [1]
    assert sr.get("/subjects/address/versions/1/referencedby").json() == []
    assert sr.delete("/subjects/address").json() == [1]


def test_json_and_protobuf_types(sr):
    js = json.dumps({"type": "object", "properties": {"a": {"type": "integer"}}})
    jid = register(sr, "js", js, schemaType="JSON")
    got = sr.get(f"/schemas/ids/{jid}").json()
    assert got["schemaType"] == "JSON"
    proto = 'syntax = "proto3";\npackage ex;\nmessage M {\n  int32 a = 1;\n}\n'
    pid = register(sr, "pb", proto, schemaType="PROTOBUF")
    assert sr.get("/subjects/pb/versions/1").json()["schemaType"] == "PROTOBUF"
    assert register(sr, "pb", proto, schemaType="PROTOBUF") == pid
    r = sr.post("/subjects/pb", json={"schema": proto, "schemaType": "PROTOBUF"})
    assert r.json()["id"] == pid


def test_unknown_route_and_method(sr):
    error(sr.get("/nothing-here"), 404, 404)
    r = sr.patch("/config")
    assert r.status_code == 405 and r.json()["error_code"] == 405


def test_json_references(sr):
    address = json.dumps({"type": "object", "properties": {"city": {"type": "string"}}})
    register(sr, "addr-json", address, schemaType="JSON")
    person = json.dumps({"type": "object", "properties": {"home": {"$ref": "address.json"}}})
    refs = [{"name": "address.json", "subject": "addr-json", "version": 1}]
    pid = register(sr, "person-json", person, schemaType="JSON", references=refs)
    assert sr.get("/subjects/addr-json/versions/1/referencedby").json() == [pid]
    # a compatibility check follows the reference: city's type changes through it
    address2 = json.dumps({"type": "object", "properties": {"city": {"type": "integer"}}})
    assert sr.put("/config/addr-json", json={"compatibility": "NONE"}).status_code == 200
    register(sr, "addr-json", address2, schemaType="JSON")
    refs2 = [{"name": "address.json", "subject": "addr-json", "version": 2}]
    r = sr.post(
        "/compatibility/subjects/person-json/versions/latest",
        params={"verbose": "true"},
        json={"schema": person, "schemaType": "JSON", "references": refs2},
    )
    assert r.json()["is_compatible"] is False, r.text


def test_protobuf_references_and_builtin_imports(sr):
    common = 'syntax = "proto3";\npackage common;\nmessage Money {\n  int64 units = 1;\n}\n'
    register(sr, "pb-common", common, schemaType="PROTOBUF")
    order = (
        'syntax = "proto3";\npackage shop;\nimport "common.proto";\n'
        'import "google/type/date.proto";\nimport "confluent/meta.proto";\n'
        'import "confluent/type/decimal.proto";\nimport "google/protobuf/timestamp.proto";\n'
        "message Order {\n  common.Money price = 1;\n  google.type.Date day = 2;\n"
        "  confluent.type.Decimal amount = 3;\n  google.protobuf.Timestamp at = 4;\n"
        '  string note = 5 [(confluent.field_meta).doc = "free text"];\n}\n'
    )
    refs = [{"name": "common.proto", "subject": "pb-common", "version": 1}]
    oid = register(sr, "pb-order", order, schemaType="PROTOBUF", references=refs)
    assert sr.get("/subjects/pb-common/versions/1/referencedby").json() == [oid]
    r = sr.post("/subjects/pb-order/versions", json={"schema": order, "schemaType": "PROTOBUF"})
    msg = error(r, 422, 42201)  # without the reference, common.proto is not found
    assert "common.proto" in msg
