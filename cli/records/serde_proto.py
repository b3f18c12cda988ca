"""Protobuf for the CLI's serde: the schema text and its references compiled by protoc
(grpcio-tools, with its google/protobuf includes and the registry's vendored google/type and
Confluent protos, as the registry compiles them) into a descriptor pool; records are the
message-index array (zigzag varints; `[0]` as the single byte 0) then the message bytes."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc_tools
from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf.message import DecodeError
from google.protobuf.message_factory import GetMessageClass

from core.proxy.batch import zigzag_varint
from core.proxy.codecs import CodecError, read_zigzag_varint

MAIN = "__rpk_schema__.proto"
BUILTIN = Path(grpc_tools.__file__).parent / "_proto"
PROTOC_TIMEOUT_S = 20
MAX_INDEXES = 64


def _vendored() -> Path | None:
    spec = importlib.util.find_spec("core")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "schema_registry/types/protos"
    return path if path.is_dir() else None


def _write(root: Path, name: str, text: str) -> None:
    path = (root / name).resolve()
    if not str(path).startswith(str(root.resolve())):
        raise CodecError(f"reference name '{name}' escapes the import root")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def compile_set(text: str, deps: list[tuple[str, str]]) -> descriptor_pb2.FileDescriptorSet:
    with tempfile.TemporaryDirectory(prefix="rpk-proto-") as tmp:
        root = Path(tmp) / "src"
        root.mkdir()
        for name, dep_text in deps:
            _write(root, name, dep_text)
        _write(root, MAIN, text)
        out = Path(tmp) / "set.bin"
        includes = [f"-I{root}", f"-I{BUILTIN}"]
        vendored = _vendored()
        if vendored is not None:
            includes.append(f"-I{vendored}")
        command = [sys.executable, "-m", "grpc_tools.protoc", *includes,
                   f"--descriptor_set_out={out}", "--include_imports", MAIN]  # fmt: skip
        done = subprocess.run(
            command, capture_output=True, timeout=PROTOC_TIMEOUT_S, cwd=tmp,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )  # fmt: skip
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip().replace(str(root) + "/", "")
            raise CodecError(message.replace(MAIN, "schema") or "protoc failed")
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


class ProtoCodec:
    def __init__(self, text: str, deps: list[tuple[str, str]]) -> None:
        pool = descriptor_pool.DescriptorPool()
        for file in compile_set(text, deps).file:  # --include_imports: dependencies first
            pool.Add(file)
        self.pool = pool
        self.file = pool.FindFileByName(MAIN)

    def single_message(self) -> str:
        """The one message's full name when the schema defines exactly one, else ''."""
        messages = list(self.file.message_types_by_name.values())
        return messages[0].full_name if len(messages) == 1 else ""

    def _indexes(self, name: str) -> list[int]:
        try:
            descriptor = self.pool.FindMessageTypeByName(name)
        except KeyError:
            raise CodecError(f"unable to find message with name {name!r}") from None
        path = []
        while descriptor.containing_type is not None:
            path.append(descriptor.containing_type.nested_types.index(descriptor))
            descriptor = descriptor.containing_type
        if descriptor.file is not self.file:
            raise CodecError(f"message {name!r} is not defined in the schema")
        path.append(list(self.file.message_types_by_name.values()).index(descriptor))
        return path[::-1]

    def encode(self, text: bytes, name: str) -> bytes:
        if not name:
            raise CodecError(
                "encoder not found; please provide the fully qualified name of the message "
                "you are trying to encode"
            )
        indexes = self._indexes(name)
        message = GetMessageClass(self.pool.FindMessageTypeByName(name))()
        try:
            json_format.Parse(text, message)
        except (json_format.ParseError, TypeError, ValueError) as exc:
            raise CodecError(f"unable to unmarshal proto message: {exc}") from None
        prefix = (
            b"\x00" if indexes == [0] else b"".join(map(zigzag_varint, [len(indexes), *indexes]))
        )
        return prefix + message.SerializeToString()

    def decode(self, payload: bytes) -> bytes:
        count, pos = read_zigzag_varint(payload, 0)
        if not 0 <= count <= MAX_INDEXES:
            raise CodecError("unable to decode the message-index array")
        indexes = [0]
        if count:
            indexes = []
            for _ in range(count):
                index, pos = read_zigzag_varint(payload, pos)
                indexes.append(index)
        types = list(self.file.message_types_by_name.values())
        descriptor = None
        for i in indexes:
            if not 0 <= i < len(types):
                raise CodecError(f"message index {indexes} is not in the schema")
            descriptor = types[i]
            types = list(descriptor.nested_types)
        message = GetMessageClass(descriptor)()
        try:
            message.ParseFromString(payload[pos:])
        except DecodeError as exc:
            raise CodecError(f"unable to unmarshal proto message: {exc}") from None
        return json.dumps(json_format.MessageToDict(message), separators=(",", ":")).encode()
