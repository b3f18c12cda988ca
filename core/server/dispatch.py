"""API key -> handler module, version gates, and generic error responses."""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import pkgutil
import types
import typing
import uuid
from functools import lru_cache
from typing import Any

from core.protocol.codec import request_class, response_class
from core.protocol.errors import ErrorCode


@lru_cache(maxsize=1)
def handlers() -> dict[int, types.ModuleType]:
    """Every module in core.server.handlers that declares API_KEY, keyed by it."""
    import core.server.handlers as pkg

    found: dict[int, types.ModuleType] = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        key = getattr(module, "API_KEY", None)
        if key is None:
            continue
        assert key not in found, f"two handlers for API key {key}"
        found[key] = module
    return found


def version_range(api_key: int) -> tuple[int, int] | None:
    """The versions served for a key: the handler's range where kio has schemas."""
    module = handlers().get(api_key)
    if module is None:
        return None
    lo, hi = module.MIN_VERSION, module.MAX_VERSION
    while lo <= hi and request_class(api_key, lo) is None:
        lo += 1
    while hi >= lo and request_class(api_key, hi) is None:
        hi -= 1
    return (lo, hi) if lo <= hi else None


def supported(api_key: int, api_version: int) -> bool:
    r = version_range(api_key)
    return r is not None and r[0] <= api_version <= r[1]


def error_response(api_key: int, api_version: int, error: ErrorCode) -> Any:
    """A response of the right type whose error fields all carry `error` and whose lists are empty."""
    return _default_entity(response_class(api_key, api_version), error)


def _default_entity(cls: type, error: ErrorCode) -> Any:
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            values[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            values[f.name] = f.default_factory()  # type: ignore[misc]
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
