"""The schema formats' codecs: JSON in, Confluent's wire format out, and back.

Wire format: magic byte 0, the schema id (4 bytes, big endian), then the Avro binary
encoding (fastavro), the JSON text (jsonschema) or the Protobuf message-index array (zigzag
varints; `[0]` as the single byte 0) followed by the message bytes. Produce input and consume
output are Avro's JSON encoding (unions as `{"type": value}`, bytes as code points), the JSON
document itself, and Protobuf's JSON mapping."""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import jsonschema_rs
from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf.message import DecodeError
from google.protobuf.message_factory import GetMessageClass

from core.proxy.avro_json import AvroJsonError, from_json, strip_logical, to_json
from core.proxy.errors import INVALID_DATA, SERIALIZATION, ProxyError

MAGIC = 0
HEADER_BYTES = 5
FORMAT_TYPES = {"avro": "AVRO", "jsonschema": "JSON", "protobuf": "PROTOBUF"}
MAX_INDEXES = 64


class CodecError(Exception):
    """The data does not fit the schema; the message says where."""


def header(schema_id: int) -> bytes:
    return bytes([MAGIC]) + schema_id.to_bytes(4, "big")


def split_wire(data: bytes) -> tuple[int, bytes] | None:
    """(schema id, payload) of a record in Confluent's wire format; None if it is not."""
    if len(data) < HEADER_BYTES or data[0] != MAGIC:
        return None
    return int.from_bytes(data[1:5], "big"), data[5:]


class AvroCodec:
    def __init__(self, text: str, dep_texts: list[str]) -> None:
        self.named: dict[str, Any] = {}
        for dep in dep_texts:
            fastavro.parse_schema(strip_logical(json.loads(dep)), named_schemas=self.named)
        raw = strip_logical(json.loads(text))
        self.schema = fastavro.parse_schema(raw, named_schemas=self.named)

    def encode(self, datum: Any) -> bytes:
        try:
            obj = from_json(self.schema, datum, self.named)
        except AvroJsonError as exc:
            raise CodecError(f"not valid for the Avro schema: {exc}") from None
        out = io.BytesIO()
        try:
            fastavro.schemaless_writer(out, self.schema, obj)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            raise CodecError(f"not valid for the Avro schema: {exc}") from None
        return out.getvalue()

    def decode(self, payload: bytes) -> Any:
        obj = fastavro.schemaless_reader(io.BytesIO(payload), self.schema, None)
        return to_json(self.schema, obj, self.named)


class JsonSchemaCodec:
    def __init__(self, text: str) -> None:
        self.validator = jsonschema_rs.validator_for(json.loads(text))

    def encode(self, datum: Any) -> bytes:
        errors = [
            f"{'/'.join(map(str, e.instance_path)) or '(root)'}: {e.message}"
            for e in self.validator.iter_errors(datum)
        ]
        if errors:
            raise CodecError("not valid for the JSON schema: " + "; ".join(errors[:5]))
        return json.dumps(datum, separators=(",", ":")).encode()

    def decode(self, payload: bytes) -> Any:
        return json.loads(payload)


def read_zigzag_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise CodecError("truncated message-index array")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos


class ProtobufCodec:
    def __init__(self, descriptor_set: bytes, main_file: str) -> None:
        fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set)
        pool = descriptor_pool.DescriptorPool()
        for file in fds.file:  # protoc --include_imports: dependencies first
            pool.Add(file)
        self.file = pool.FindFileByName(main_file)
        first = next(iter(self.file.message_types_by_name.values()), None)
        if first is None:
            raise CodecError("the Protobuf schema defines no message")
        self.first = GetMessageClass(first)

    def encode(self, datum: Any) -> bytes:
        message = self.first()
        try:
            json_format.ParseDict(datum, message)
        except (json_format.ParseError, TypeError, ValueError) as exc:
            raise CodecError(f"not valid for the Protobuf schema: {exc}") from None
        return b"\x00" + message.SerializeToString()

    def _message(self, indexes: list[int]) -> Any:
        types = list(self.file.message_types_by_name.values())
        descriptor = None
        for i in indexes:
            if not 0 <= i < len(types):
                raise CodecError(f"message index {indexes} is not in the schema")
            descriptor = types[i]
            types = list(descriptor.nested_types)
        return GetMessageClass(descriptor)

    def decode(self, payload: bytes) -> Any:
        count, pos = read_zigzag_varint(payload, 0)
        if not 0 <= count <= MAX_INDEXES:
            raise CodecError("bad message-index array")
        indexes = [0]
        if count:
            indexes = []
            for _ in range(count):
                index, pos = read_zigzag_varint(payload, pos)
                indexes.append(index)
        message = self._message(indexes)()
        try:
            message.ParseFromString(payload[pos:])
        except DecodeError as exc:
            raise CodecError(f"not a Protobuf message of the schema: {exc}") from None
        return json_format.MessageToDict(message)


Codec = AvroCodec | JsonSchemaCodec | ProtobufCodec


def build_codec(info: dict[str, Any]) -> Codec:
    """A codec for a schema as the registry gives it (see RegistryClient.schema)."""
    kind = info["schemaType"]
    try:
        if kind == "AVRO":
            return AvroCodec(info["schema"], info.get("dep_texts") or [])
        if kind == "JSON":
            return JsonSchemaCodec(info["schema"])
        if kind == "PROTOBUF" and info.get("descriptor_set"):
            return ProtobufCodec(info["descriptor_set"], info["main_file"])
    except CodecError:
        raise
    except Exception as exc:  # a schema the libraries cannot use
        raise CodecError(f"schema {info.get('id')} cannot be used: {exc}") from None
    raise CodecError(f"schema {info.get('id')} of type {kind} cannot be used here")


def encode_record(codec: Codec, schema_id: int, datum: Any, what: str) -> bytes:
    try:
        return header(schema_id) + codec.encode(datum)
    except CodecError as exc:
        raise ProxyError(INVALID_DATA, f"{what}: {exc}") from None


def decode_record(codecs: dict[int, Codec], data: bytes | None, where: str) -> Any:
    if data is None:
        return None
    split = split_wire(data)
    if split is None or split[0] not in codecs:
        raise ProxyError(SERIALIZATION, f"{where} is not in the Schema Registry wire format")
    try:
        return codecs[split[0]].decode(split[1])
    except CodecError as exc:
        raise ProxyError(SERIALIZATION, f"{where}: {exc}") from None
    except Exception as exc:  # bytes the schema's decoder rejects
        raise ProxyError(SERIALIZATION, f"{where} cannot be decoded: {exc}") from None
