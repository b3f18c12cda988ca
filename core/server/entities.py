"""Build kio entities across versions: unknown fields are dropped, missing ones defaulted."""

from __future__ import annotations

import dataclasses
import datetime
import sys
import types
import typing
from functools import cache
from typing import Any

from core.protocol.errors import ErrorCode
from core.server import dispatch

ZERO = datetime.timedelta(0)


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
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
                continue
            kept[f.name] = dispatch._default_value(hints[f.name], f.name, ErrorCode.none)
    return cls(**kept)


def module_of(cls: type) -> types.ModuleType:
    """The generated module holding a response class and its nested entity classes."""
    return sys.modules[cls.__module__]
