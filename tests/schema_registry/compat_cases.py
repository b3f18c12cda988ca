"""Compatibility cases, table-driven: (id, level, earlier schemas, new schema, compatible)."""

from __future__ import annotations

import json

OK, NO = True, False


def rec(*fields, name: str = "R") -> str:
    out = []
    for f in fields:
        field = {"name": f[0], "type": f[1]}
        if len(f) > 2:
            field["default"] = f[2]
        out.append(field)
    return json.dumps({"type": "record", "name": name, "fields": out})


def enum(*symbols: str, default: str | None = None) -> str:
    body = {"type": "enum", "name": "E", "symbols": list(symbols)}
    if default:
        body["default"] = default
    return json.dumps(body)


A = rec(("a", "int"))
AB_DEF = rec(("a", "int"), ("b", "string", ""))
AB = rec(("a", "int"), ("b", "string"))

AVRO = [
    ("add-default/backward", "BACKWARD", [A], AB_DEF, OK),
    ("add-no-default/backward", "BACKWARD", [A], AB, NO),
    ("add-no-default/forward", "FORWARD", [A], AB, OK),
    ("add-default/full", "FULL", [A], AB_DEF, OK),
    ("add-no-default/full", "FULL", [A], AB, NO),
    ("remove/backward", "BACKWARD", [AB], A, OK),
    ("remove-no-default/forward", "FORWARD", [AB], A, NO),
    ("remove-default/forward", "FORWARD", [AB_DEF], A, OK),
    ("int-long/backward", "BACKWARD", [A], rec(("a", "long")), OK),
    ("int-long/forward", "FORWARD", [A], rec(("a", "long")), NO),
    ("long-int/backward", "BACKWARD", [rec(("a", "long"))], A, NO),
    ("float-double/backward", "BACKWARD", [rec(("a", "float"))], rec(("a", "double")), OK),
    ("string-bytes/backward", "BACKWARD", [rec(("a", "string"))], rec(("a", "bytes")), OK),
    ("string-int/none", "NONE", [rec(("a", "string"))], A, OK),
    ("string-int/backward", "BACKWARD", [rec(("a", "string"))], A, NO),
    ("enum-add/backward", "BACKWARD", [enum("X", "Y")], enum("X", "Y", "Z"), OK),
    ("enum-add/forward", "FORWARD", [enum("X", "Y")], enum("X", "Y", "Z"), NO),
    ("enum-remove/backward", "BACKWARD", [enum("X", "Y")], enum("X"), NO),
    ("enum-remove/forward", "FORWARD", [enum("X", "Y")], enum("X"), OK),
    ("union-widen/backward", "BACKWARD", [rec(("a", "string"))], rec(("a", ["null", "string"])), OK),
    ("union-narrow/backward", "BACKWARD", [rec(("a", ["null", "string"]))], rec(("a", "string")), NO),
    ("union-widen/forward", "FORWARD", [rec(("a", "string"))], rec(("a", ["null", "string"])), NO),
    ("rename-record/backward", "BACKWARD", [A], rec(("a", "int"), name="STR"), NO),
    ("array-int-long/backward", "BACKWARD", [rec(("a", {"type": "array", "items": "int"}))],
     rec(("a", {"type": "array", "items": "long"})), OK),
    ("map-string-int/backward", "BACKWARD", [rec(("a", {"type": "map", "values": "string"}))],
     rec(("a", {"type": "map", "values": "int"})), NO),
    ("fixed-size/backward", "BACKWARD", [json.dumps({"type": "fixed", "name": "F", "size": 4})],
     json.dumps({"type": "fixed", "name": "F", "size": 8}), NO),
    ("primitive-change/full", "FULL", ['"string"'], '"int"', NO),
    ("transitive-latest-ok/backward", "BACKWARD", [A, rec(("z", "int", 0))],
     rec(("z", "int", 0), ("a", "string", "")), OK),
    ("transitive-all/backward_transitive", "BACKWARD_TRANSITIVE", [A, rec(("z", "int", 0))],
     rec(("z", "int", 0), ("a", "string", "")), NO),
    ("transitive-all/forward_transitive", "FORWARD_TRANSITIVE", [AB, AB_DEF], AB_DEF, OK),
    ("transitive-all/full_transitive", "FULL_TRANSITIVE", [A, AB_DEF], rec(("a", "long")), NO),
]  # fmt: skip


def obj(props: dict, required=(), closed: bool = False, **extra) -> str:
    body: dict = {"type": "object", "properties": props}
    if required:
        body["required"] = list(required)
    if closed:
        body["additionalProperties"] = False
    body.update(extra)
    return json.dumps(body)


INT, NUM, STR = {"type": "integer"}, {"type": "number"}, {"type": "string"}

JSON = [
    ("add-prop-open/backward", "BACKWARD", [obj({"a": INT})], obj({"a": INT, "b": STR}), NO),
    ("add-prop-closed/backward", "BACKWARD", [obj({"a": INT}, closed=True)],
     obj({"a": INT, "b": STR}, closed=True), OK),
    ("add-prop-open/forward", "FORWARD", [obj({"a": INT})], obj({"a": INT, "b": STR}), OK),
    ("remove-prop-open/backward", "BACKWARD", [obj({"a": INT, "b": STR})], obj({"a": INT}), OK),
    ("remove-prop-closed/backward", "BACKWARD", [obj({"a": INT, "b": STR}, closed=True)],
     obj({"a": INT}, closed=True), NO),
    ("remove-prop-open/forward", "FORWARD", [obj({"a": INT, "b": STR})], obj({"a": INT}), NO),
    ("add-required/backward", "BACKWARD", [obj({"a": INT})], obj({"a": INT}, required=["a"]), NO),
    ("add-required/forward", "FORWARD", [obj({"a": INT})], obj({"a": INT}, required=["a"]), OK),
    ("remove-required/backward", "BACKWARD", [obj({"a": INT}, required=["a"])], obj({"a": INT}), OK),
    ("int-number/backward", "BACKWARD", [obj({"a": INT})], obj({"a": NUM}), OK),
    ("number-int/backward", "BACKWARD", [obj({"a": NUM})], obj({"a": INT}), NO),
    ("int-number/full", "FULL", [obj({"a": INT})], obj({"a": NUM}), NO),
    ("string-int/backward", "BACKWARD", [obj({"a": STR})], obj({"a": INT}), NO),
    ("string-int/none", "NONE", [obj({"a": STR})], obj({"a": INT}), OK),
    ("type-union-widen/backward", "BACKWARD", [obj({"a": STR})], obj({"a": {"type": ["string", "null"]}}), OK),
    ("type-union-narrow/backward", "BACKWARD", [obj({"a": {"type": ["string", "null"]}})], obj({"a": STR}), NO),
    ("enum-add/backward", "BACKWARD", [obj({"a": {"enum": ["x"]}})], obj({"a": {"enum": ["x", "y"]}}), OK),
    ("enum-remove/backward", "BACKWARD", [obj({"a": {"enum": ["x", "y"]}})], obj({"a": {"enum": ["x"]}}), NO),
    ("enum-added/backward", "BACKWARD", [obj({"a": STR})], obj({"a": {"type": "string", "enum": ["x"]}}), NO),
    ("maxlength-down/backward", "BACKWARD", [obj({"a": {"type": "string", "maxLength": 9}})],
     obj({"a": {"type": "string", "maxLength": 5}}), NO),
    ("maxlength-up/backward", "BACKWARD", [obj({"a": {"type": "string", "maxLength": 5}})],
     obj({"a": {"type": "string", "maxLength": 9}}), OK),
    ("minimum-up/backward", "BACKWARD", [obj({"a": {"type": "integer", "minimum": 0}})],
     obj({"a": {"type": "integer", "minimum": 5}}), NO),
    ("minimum-down/backward", "BACKWARD", [obj({"a": {"type": "integer", "minimum": 5}})],
     obj({"a": {"type": "integer", "minimum": 0}}), OK),
    ("closed-model/backward", "BACKWARD", [obj({"a": INT})], obj({"a": INT}, closed=True), NO),
    ("opened-model/backward", "BACKWARD", [obj({"a": INT}, closed=True)], obj({"a": INT}), OK),
    ("items-widen/backward", "BACKWARD", [json.dumps({"type": "array", "items": INT})],
     json.dumps({"type": "array", "items": NUM}), OK),
    ("items-change/backward", "BACKWARD", [json.dumps({"type": "array", "items": INT})],
     json.dumps({"type": "array", "items": STR}), NO),
    ("oneof-add-branch/backward", "BACKWARD", [json.dumps({"oneOf": [INT, STR]})],
     json.dumps({"oneOf": [INT, STR, {"type": "boolean"}]}), OK),
    ("oneof-remove-branch/backward", "BACKWARD", [json.dumps({"oneOf": [INT, STR]})],
     json.dumps({"oneOf": [INT]}), NO),
    ("pattern-added/backward", "BACKWARD", [obj({"a": STR})], obj({"a": {"type": "string", "pattern": "^x"}}), NO),
    ("ref-defs-change/backward", "BACKWARD",
     [json.dumps({"$defs": {"v": INT}, "type": "object", "properties": {"a": {"$ref": "#/$defs/v"}}})],
     json.dumps({"$defs": {"v": STR}, "type": "object", "properties": {"a": {"$ref": "#/$defs/v"}}}), NO),
    ("draft2020/backward", "BACKWARD",
     [json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string"})],
     json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": ["string", "null"]}), OK),
    ("transitive/backward_transitive", "BACKWARD_TRANSITIVE", [obj({"a": STR}), obj({})],
     obj({"a": INT}), NO),
    ("transitive-latest/backward", "BACKWARD", [obj({"a": STR}, closed=True), obj({"b": STR}, closed=True)],
     obj({"b": STR, "a": INT}, closed=True), OK),
]  # fmt: skip


def proto(body: str, package: str = "c", syntax: str = "proto3", imports: str = "") -> str:
    return f'syntax = "{syntax}";\npackage {package};\n{imports}{body}\n'


M1 = proto("message M { int32 a = 1; string b = 2; }")

PROTOBUF = [
    ("add-field/backward", "BACKWARD", [M1], proto("message M { int32 a = 1; string b = 2; bool c = 3; }"), OK),
    ("remove-field/backward", "BACKWARD", [M1], proto("message M { int32 a = 1; }"), OK),
    ("remove-field/full", "FULL", [M1], proto("message M { int32 a = 1; }"), OK),
    ("rename-field/backward", "BACKWARD", [M1], proto("message M { int32 x = 1; string b = 2; }"), OK),
    ("int32-int64/backward", "BACKWARD", [M1], proto("message M { int64 a = 1; string b = 2; }"), OK),
    ("int32-uint64/full", "FULL", [M1], proto("message M { uint64 a = 1; string b = 2; }"), OK),
    ("int32-string/backward", "BACKWARD", [M1], proto("message M { string a = 1; string b = 2; }"), NO),
    ("string-bytes/backward", "BACKWARD", [M1], proto("message M { int32 a = 1; bytes b = 2; }"), OK),
    ("int32-sint32/backward", "BACKWARD", [M1], proto("message M { sint32 a = 1; string b = 2; }"), NO),
    ("int32-fixed32/backward", "BACKWARD", [M1], proto("message M { fixed32 a = 1; string b = 2; }"), NO),
    ("fixed32-sfixed32/backward", "BACKWARD", [proto("message M { fixed32 a = 1; }")],
     proto("message M { sfixed32 a = 1; }"), OK),
    ("int32-double/none", "NONE", [M1], proto("message M { double a = 1; string b = 2; }"), OK),
    ("scalar-to-message/backward", "BACKWARD", [M1],
     proto("message NUM { int32 v = 1; }\nmessage M { NUM a = 1; string b = 2; }"), NO),
    ("message-type-change/backward", "BACKWARD",
     [proto("message NUM { int32 v = 1; }\nmessage O { int32 v = 1; }\nmessage M { NUM a = 1; }")],
     proto("message NUM { int32 v = 1; }\nmessage O { int32 v = 1; }\nmessage M { O a = 1; }"), NO),
    ("remove-message/backward", "BACKWARD", [proto("message M { int32 a = 1; }\nmessage X { int32 a = 1; }")],
     proto("message M { int32 a = 1; }"), NO),
    ("add-message/backward", "BACKWARD", [proto("message M { int32 a = 1; }")],
     proto("message M { int32 a = 1; }\nmessage X { int32 a = 1; }"), OK),
    ("package-change/backward", "BACKWARD", [M1], proto("message M { int32 a = 1; string b = 2; }", package="d"), NO),
    ("repeated-to-single/backward", "BACKWARD", [proto("message M { repeated string a = 1; }")],
     proto("message M { string a = 1; }"), NO),
    ("enum-add-value/backward", "BACKWARD", [proto("enum E { X = 0; }\nmessage M { E e = 1; }")],
     proto("enum E { X = 0; Y = 1; }\nmessage M { E e = 1; }"), OK),
    ("enum-remove-value/backward", "BACKWARD", [proto("enum E { X = 0; Y = 1; }\nmessage M { E e = 1; }")],
     proto("enum E { X = 0; }\nmessage M { E e = 1; }"), OK),
    ("one-field-into-new-oneof/backward", "BACKWARD", [M1],
     proto("message M { oneof o { int32 a = 1; } string b = 2; }"), OK),
    ("two-fields-into-new-oneof/backward", "BACKWARD", [M1],
     proto("message M { oneof o { int32 a = 1; string b = 2; } }"), NO),
    ("field-into-existing-oneof/backward", "BACKWARD", [proto("message M { int32 a = 1; oneof o { string b = 2; } }")],
     proto("message M { oneof o { int32 a = 1; string b = 2; } }"), NO),
    ("field-out-of-oneof/backward", "BACKWARD", [proto("message M { oneof o { int32 a = 1; string b = 2; } }")],
     proto("message M { int32 a = 1; oneof o { string b = 2; } }"), NO),
    ("nested-field-change/backward", "BACKWARD", [proto("message M { message NUM { int32 v = 1; } NUM n = 1; }")],
     proto("message M { message NUM { string v = 1; } NUM n = 1; }"), NO),
    ("map-value-change/backward", "BACKWARD", [proto("message M { map<string, int32> m = 1; }")],
     proto("message M { map<string, string> m = 1; }"), NO),
    ("map-remove/backward", "BACKWARD", [proto("message M { map<string, int32> m = 1; int32 a = 2; }")],
     proto("message M { int32 a = 2; }"), OK),
    ("proto2-required-added/backward", "BACKWARD", [proto("message M { optional int32 a = 1; }", syntax="proto2")],
     proto("message M { optional int32 a = 1; required int32 b = 2; }", syntax="proto2"), NO),
    ("well-known-import/backward", "BACKWARD", [M1],
     proto("message M { int32 a = 1; string b = 2; google.protobuf.Timestamp t = 3; }",
           imports='import "google/protobuf/timestamp.proto";\n'), OK),
    ("transitive/backward_transitive", "BACKWARD_TRANSITIVE",
     [M1, proto("message M { int32 a = 1; }")], proto("message M { int32 a = 1; int64 b = 2; }"), NO),
    ("transitive-latest/backward", "BACKWARD",
     [M1, proto("message M { int32 a = 1; }")], proto("message M { int32 a = 1; int64 b = 2; }"), OK),
]  # fmt: skip
