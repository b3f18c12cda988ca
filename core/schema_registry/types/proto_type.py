"""PROTOBUF: `.proto` text (or the base64 FileDescriptorProto Confluent's serializer sends) is
compiled by protoc (grpcio-tools, with google/protobuf includes and vendored google/type and
Confluent protos) to a FileDescriptorSet; compatibility is checked on the descriptors."""

from __future__ import annotations

import base64
import binascii
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc_tools
from google.protobuf import descriptor_pb2 as pb
from google.protobuf.message import DecodeError

from core.schema_registry.types import Dep, Parsed, SchemaError
from core.schema_registry.types.proto_compat import incompatibilities
from core.schema_registry.types.proto_render import render

MAIN = "__schema__.proto"
BUILTIN = Path(grpc_tools.__file__).parent / "_proto"
VENDORED = Path(__file__).parent / "protos"
PROTOC_TIMEOUT_S = 20
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")


def _text(text: str) -> str:
    """The .proto text; a base64 FileDescriptorProto is rendered to text first."""
    stripped = text.strip()
    if "{" in stripped or not _BASE64.match(stripped):
        return text
    try:
        fdp = pb.FileDescriptorProto.FromString(base64.b64decode(stripped, validate=False))
    except (binascii.Error, DecodeError, ValueError):
        raise SchemaError("neither .proto text nor a base64 FileDescriptorProto") from None
    return render(fdp)


def _write(root: Path, name: str, text: str) -> None:
    path = (root / name).resolve()
    if not str(path).startswith(str(root.resolve())):
        raise SchemaError(f"reference name '{name}' escapes the import root")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _write_deps(root: Path, deps: tuple[Dep, ...], seen: set) -> None:
    for dep in deps:
        if dep.key in seen:
            continue
        seen.add(dep.key)
        _write(root, dep.name, _text(dep.text))
        _write_deps(root, dep.deps, seen)


def compile_set(text: str, deps: tuple[Dep, ...]) -> pb.FileDescriptorSet:
    with tempfile.TemporaryDirectory(prefix="sr-proto-") as tmp:
        root = Path(tmp) / "src"
        root.mkdir()
        _write_deps(root, deps, set())
        _write(root, MAIN, text)
        out = Path(tmp) / "set.bin"
        command = [
            sys.executable, "-m", "grpc_tools.protoc", f"-I{root}", f"-I{VENDORED}",
            f"-I{BUILTIN}", f"--descriptor_set_out={out}", "--include_imports", MAIN,
        ]  # fmt: skip
        done = subprocess.run(
            command, capture_output=True, timeout=PROTOC_TIMEOUT_S, cwd=tmp,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )  # fmt: skip
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip().replace(str(root) + "/", "")
            raise SchemaError(message.replace(MAIN, "schema") or "protoc failed")
        return pb.FileDescriptorSet.FromString(out.read_bytes())


def parse(text: str, deps: tuple[Dep, ...], normalize: bool) -> Parsed:
    source = _text(text)
    fds = compile_set(source, deps)
    main = next(f for f in fds.file if f.name == MAIN)
    if normalize or source is not text:
        source = render(main)
    return Parsed("PROTOBUF", source, (main, fds))


def check(reader: Parsed, writer: Parsed) -> list[str]:
    return incompatibilities(reader.obj, writer.obj)
