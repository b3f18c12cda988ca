"""A module imported at its first use, not when the importing module loads (start time and
idle memory: a broker that never sees a compressed batch never loads cramjam's codecs)."""

from __future__ import annotations

import importlib
import types
from typing import Any


class LazyModule:
    def __init__(self, name: str) -> None:
        self._name = name
        self._module: types.ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)
