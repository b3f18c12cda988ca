"""Schema Registry serde for `rpk topic produce --schema-id` and `rpk topic consume
--use-schema-registry`, as rpk's serde package: schemas are fetched over HTTP by id (or a
subject's latest, for `--schema-id=topic`), cached per id; records are in Confluent's wire
format (magic 0, the 4-byte schema id, then the Avro binary, the JSON text, or the Protobuf
message-index array and message). Produce input and consume output are Avro's JSON encoding,
the JSON document, and Protobuf's JSON mapping. The Avro and JSON codecs are the HTTP proxy's
(core.proxy.codecs, pure functions of the schema text); Protobuf is compiled here (protoc from
grpcio-tools, as the registry does) from the schema text and its references."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cli import options
from cli.clients.registry import RegistryClient
from cli.errors import CliError
from cli.records import serde_proto
from core.proxy.codecs import AvroCodec, CodecError, JsonSchemaCodec, header, split_wire


class SerdeError(CliError):
    """A record that cannot be encoded or decoded with its schema."""


def parse_schema_id_flag(flag: str, name: str) -> tuple[int, bool]:
    """(schema id or -1, whether it is the TopicName strategy) of --schema-id / --schema-key-id."""
    if flag == "":
        return -1, False
    if flag.lower() == "topic":
        return -1, True
    try:
        return int(flag), False
    except ValueError:
        raise SerdeError(
            f"unable to parse '{name}' flag: unable to parse \"{flag}\": strconv.Atoi: "
            f"parsing \"{flag}\": invalid syntax; use either a number or 'topic'"
        ) from None


@dataclass
class Serde:
    """One schema's encoder and decoder (the encoder may be missing: Protobuf with no name)."""

    schema_id: int
    kind: str
    codec: Any
    proto_name: str = ""

    def encode(self, text: bytes) -> bytes:
        if self.kind == "PROTOBUF":
            return header(self.schema_id) + self.codec.encode(text, self.proto_name)
        try:
            datum = json.loads(text)
        except ValueError as exc:
            raise CodecError(f"unable to unmarshal record: {exc}") from None
        return header(self.schema_id) + self.codec.encode(datum)

    def decode(self, payload: bytes) -> bytes:
        if self.kind == "PROTOBUF":
            return self.codec.decode(payload)
        if self.kind == "JSON":
            json.loads(payload)  # rpk checks the payload is JSON and prints it as it is
            return payload
        return json.dumps(self.codec.decode(payload), separators=(",", ":")).encode()


@dataclass
class SchemaSource:
    """Schemas from the registry of the profile (`registry.hosts`), cached per id and subject."""

    client: RegistryClient = field(
        default_factory=lambda: RegistryClient(list(options.params().registry_urls))
    )
    by_id: dict[int, Serde] = field(default_factory=dict)
    by_subject: dict[str, Serde] = field(default_factory=dict)

    def _deps(self, refs: list[dict], seen: set) -> list[tuple[str, str, str]]:
        """(name, schema type, text) of the references, dependencies first."""
        out: list[tuple[str, str, str]] = []
        for ref in refs or []:
            key = (ref["subject"], ref["version"])
            if key in seen:
                continue
            seen.add(key)
            dep = self.client.version(ref["subject"], str(ref["version"]))
            out += self._deps(dep.get("references") or [], seen)
            out.append((ref["name"], dep.get("schemaType") or "AVRO", dep["schema"]))
        return out

    def _build(self, schema_id: int, info: dict, proto_name: str) -> Serde:
        kind = info.get("schemaType") or "AVRO"
        deps = self._deps(info.get("references") or [], set())
        try:
            if kind == "AVRO":
                codec: Any = AvroCodec(info["schema"], [text for _, _, text in deps])
            elif kind == "JSON":
                codec = JsonSchemaCodec(info["schema"])
            elif kind == "PROTOBUF":
                codec = serde_proto.ProtoCodec(info["schema"], [(n, t) for n, _, t in deps])
                proto_name = proto_name or codec.single_message()
            else:
                raise CodecError(
                    f"schema with ID {schema_id} contains an unsupported schema type {kind}"
                )
        except CodecError:
            raise
        except Exception as exc:  # a schema the libraries cannot use
            raise CodecError(f"unable to parse {kind.lower()} schema: {exc}") from None
        return Serde(schema_id, kind, codec, proto_name)

    def by_schema_id(self, schema_id: int, proto_name: str = "") -> Serde:
        hit = self.by_id.get(schema_id)
        if hit is None or (proto_name and hit.proto_name != proto_name):
            info = self.client.get(f"/schemas/ids/{schema_id}")
            hit = self._build(schema_id, info, proto_name)
            self.by_id[schema_id] = hit
        return hit

    def latest(self, subject: str, proto_name: str = "") -> Serde:
        hit = self.by_subject.get(subject)
        if hit is None:
            info = self.client.version(subject, "latest")
            hit = self._build(int(info["id"]), info, proto_name)
            self.by_subject[subject] = hit
        return hit

    def decode(self, data: bytes) -> bytes:
        """The JSON text of a record in the wire format; SerdeError when it cannot be."""
        split = split_wire(data)
        if split is None:
            raise SerdeError("unable to decode the ID")
        schema_id, payload = split
        try:
            serde = self.by_schema_id(schema_id)
        except CodecError as exc:
            raise SerdeError(str(exc)) from None
        except CliError as exc:
            raise SerdeError(
                f"unable to get schema with index {schema_id} from the schema registry: {exc}"
            ) from None
        try:
            return serde.decode(payload)
        except CodecError as exc:
            raise SerdeError(str(exc)) from None
        except Exception as exc:  # bytes the schema's decoder rejects
            raise SerdeError(
                f"unable to decode {serde.kind.lower()}-encoded record: {exc}"
            ) from None


class ProduceSerdes:
    """The key and value encoders of `rpk topic produce --schema-id/--schema-key-id`."""

    def __init__(self, value_flag: str, key_flag: str, value_type: str, key_type: str) -> None:
        self.key_id, self.key_topic = parse_schema_id_flag(key_flag, "--schema-key-id")
        self.value_id, self.value_topic = parse_schema_id_flag(value_flag, "--schema-id")
        self.key_type, self.value_type = key_type, value_type
        self.enabled = self.key_topic or self.value_topic or self.key_id >= 0 or self.value_id >= 0
        self.key: Serde | None = None
        self.value: Serde | None = None
        if not self.enabled:
            return
        self.source = SchemaSource()
        self.key = self._fixed("key", self.key_id, key_type)
        self.value = self._fixed("value", self.value_id, value_type)

    def _fixed(self, what: str, schema_id: int, proto_name: str) -> Serde | None:
        if schema_id <= 0:
            return None
        try:
            return self.source.by_schema_id(schema_id, proto_name)
        except CodecError as exc:
            raise SerdeError(f"unable to build serializer for the {what} schema: {exc}") from None
        except CliError as exc:
            raise SerdeError(
                "unable to query schemas from the registry: unable to retrieve the "
                f"{what} schema with ID {schema_id}: {exc}"
            ) from None

    def _by_topic(self, what: str, topic: str, proto_name: str) -> Serde:
        subject = f"{topic}-{what}"
        try:
            return self.source.latest(subject, proto_name)
        except CodecError as exc:
            detail = f"unable to build serializer for the schema: {exc}"
        except CliError as exc:
            detail = f'unable to get schema with name "{subject}" using TopicName strategy: {exc}'
        raise SerdeError(
            f'unable to build {what} serializer using TopicNameStrategy for topic "{topic}": '
            + detail
        )

    def _encode(self, what: str, serde: Serde, data: bytes) -> bytes:
        try:
            return serde.encode(data)
        except CodecError as exc:
            raise SerdeError(f"unable to encode {what}: {exc}") from None

    def encode_key(self, topic: str, key: bytes | None) -> bytes | None:
        serde = self.key
        if serde is None and self.key_topic:
            serde = self._by_topic("key", topic, self.key_type)
        return key if serde is None else self._encode("key", serde, key or b"")

    def encode_value(self, topic: str, value: bytes | None) -> bytes | None:
        serde = self.value
        if serde is None and self.value_topic:
            serde = self._by_topic("value", topic, self.value_type)
        return value if serde is None else self._encode("value", serde, value or b"")


def take_use_schema_registry(args: list[str]) -> tuple[tuple[bool, bool] | None, list[str]]:
    """`--use-schema-registry[=key|value|key,value]` taken from args by hand (pflag's optional
    value, which Typer cannot declare): ((decode keys, decode values) or None, the other args)."""
    flag, rest, wanted = "--use-schema-registry", [], None
    for arg in args:
        name, sep, text = arg.partition("=")
        if name != flag:
            rest.append(arg)
            continue
        wanted = wanted or [False, False]
        for item in text.split(",") if sep else ["key", "value"]:
            if "value".startswith(item):
                wanted[1] = True
            elif "key".startswith(item):
                wanted[0] = True
            else:
                raise SerdeError(
                    f'unable to parse --use-schema-registry flag: unsupported decode type "{item}"'
                )
    return (None if wanted is None else (wanted[0], wanted[1])), rest


class ConsumeDecoder:
    """Decodes keys and/or values in the wire format to JSON text; a record that fails is
    printed as it is, to stderr (as rpk)."""

    def __init__(self, keys: bool, values: bool) -> None:
        self.keys, self.values = keys, values
        self.source = SchemaSource()

    def _one(self, data: bytes | None, wanted: bool) -> tuple[bytes | None, bool]:
        if data is None or not wanted:
            return data, True
        try:
            return self.source.decode(data), True
        except SerdeError:
            return data, False

    def decode(self, key: bytes | None, value: bytes | None) -> tuple[Any, Any, bool]:
        """(key, value, whether both decoded)."""
        key, key_ok = self._one(key, self.keys)
        value, value_ok = self._one(value, self.values)
        return key, value, key_ok and value_ok
