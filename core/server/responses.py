"""What a handler answers with, beside the request context (core.server.context).

- `build(cls, **values)`: a kio entity of any version from the values it knows (fields that
  version lacks are dropped, fields it adds are defaulted);
- `module_of(cls)`: the generated module holding a response class and its nested entities;
- `error_response(key, version, code)`: a whole response carrying one error code;
- `RawResponse`: a response already encoded as parts (Fetch: bytes and file regions);
- `NO_RESPONSE`: nothing goes back (Produce with acks=0).
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import sys
import types
import typing
import uuid
from functools import cache
from typing import Any, Final

from core.protocol.codec import response_class
from core.protocol.errors import ErrorCode
from core.protocol.fetch_wire import FileRegion

ZERO = datetime.timedelta(0)


class RawResponse:
    """A response already encoded as parts (bytes and file regions), e.g. Fetch."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[bytes | FileRegion]) -> None:
        self.parts = parts

    def release(self) -> None:
        for part in self.parts:
            if isinstance(part, FileRegion):
                os.close(part.fd)
        self.parts = []


class _NoResponse:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_RESPONSE"


NO_RESPONSE: Final = _NoResponse()  # Produce with acks=0: Kafka sends nothing back


@cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


def build(cls: type, **values: Any) -> Any:
    names = _field_names(cls)
    kept = {k: v for k, v in values.items() if k in names}
    if len(kept) < len(names):
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.name in kept:
                continue
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
                continue
            kept[f.name] = _default_value(hints[f.name], f.name, ErrorCode.none)
    return cls(**kept)


def module_of(cls: type) -> types.ModuleType:
    """The generated module holding a response class and its nested entity classes."""
    return sys.modules[cls.__module__]


def error_response(api_key: int, api_version: int, error: ErrorCode) -> Any:
    """A response of the right type whose error fields all carry `error` and whose lists are empty."""
    return _default_entity(response_class(api_key, api_version), error)


def _default_entity(cls: type, error: ErrorCode) -> Any:
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            values[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            values[f.name] = f.default_factory()
        else:
            values[f.name] = _default_value(hints[f.name], f.name, error)
    return cls(**values)


def _default_value(tp: Any, name: str, error: ErrorCode) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return (
            None if len(args) < len(typing.get_args(tp)) else _default_value(args[0], name, error)
        )
    if origin is tuple:
        return ()
    if tp is ErrorCode:
        return error
    if isinstance(tp, type):
        if issubclass(tp, bool):
            return False
        if issubclass(tp, int):
            return -1 if name.endswith(("_id", "epoch")) and name != "throttle_time" else 0
        if issubclass(tp, str):
            return ""
        if issubclass(tp, bytes):
            return b""
        if issubclass(tp, datetime.timedelta):
            return datetime.timedelta(0)
        if issubclass(tp, uuid.UUID):
            return uuid.UUID(int=0)
        if dataclasses.is_dataclass(tp):
            return _default_entity(tp, error)
    return None
